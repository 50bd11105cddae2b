rule simulation:
    input:
        **stage_inputs("simulation"),
    output:
        **stage_outputs("simulation"),
    params:
        command=stage_command("simulation"),
        config=stage_config("simulation"),
        backend=gpu_backend,
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/{sample}/simulation.log",
    benchmark:
        "logs/{sample}/simulation.bench.tsv"
    threads: 2
    resources:
        mem_mb=mem_mb_tables,
        runtime=runtime_model,
    shell:
        "NUMBA_NUM_THREADS={threads} {params.command} --out results/{wildcards.sample} "
        "--overwrite {params.config} {params.backend} "
        "> {log:q} 2>&1"


# run.json marks a finished recording: it waits for every file the stages write, so that
# a file missing (or added by a setting, which Snakemake's change detection does not see)
# reruns its stage
rule provenance:
    input:
        **stage_inputs("provenance"),
        finished=[f"results/{{sample}}/{f.path}" for s in layout.SCIENCE for f in s.files(config)],
    output:
        **stage_outputs("provenance"),
    params:
        command=stage_command("provenance"),
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/{sample}/provenance.log",
    benchmark:
        "logs/{sample}/provenance.bench.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "{params.command} --out results/{wildcards.sample} --overwrite > {log:q} 2>&1"
