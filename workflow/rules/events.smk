rule events:
    input:
        **stage_inputs("events"),
    output:
        **stage_outputs("events"),
    params:
        command=stage_command("events"),
        config=stage_config("events"),
        backend=gpu_backend,
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/{sample}/events.log",
    benchmark:
        "logs/{sample}/events.bench.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb_streaming,
        runtime=runtime_min,
    shell:
        "{params.command} --out results/{wildcards.sample} --overwrite {params.config} {params.backend} "
        "> {log:q} 2>&1"
