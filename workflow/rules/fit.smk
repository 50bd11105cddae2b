rule fit:
    input:
        **stage_inputs("fit"),
    output:
        **stage_outputs("fit"),
    params:
        command=stage_command("fit"),
        config=stage_config("fit"),
        backend=gpu_backend,
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/{sample}/fit.log",
    benchmark:
        "logs/{sample}/fit.bench.tsv"
    threads: 2
    resources:
        mem_mb=mem_mb_tables,
        runtime=runtime_model,
    shell:
        "NUMBA_NUM_THREADS={threads} {params.command} --out results/{wildcards.sample} "
        "--overwrite {params.config} {params.backend} "
        "> {log:q} 2>&1"
