rule correlation:
    input:
        **stage_inputs("correlation"),
    output:
        **stage_outputs("correlation"),
    params:
        command=stage_command("correlation"),
        config=stage_config("correlation"),
        backend=gpu_backend,
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/{sample}/correlation.log",
    benchmark:
        "logs/{sample}/correlation.bench.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb_tables,
        runtime=runtime_min,
    shell:
        "{params.command} --out results/{wildcards.sample} --overwrite {params.config} {params.backend} "
        "> {log:q} 2>&1"
