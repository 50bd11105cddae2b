rule segmentation:
    input:
        **stage_inputs("segmentation"),
    output:
        **stage_outputs("segmentation"),
    params:
        command=stage_command("segmentation"),
        config=stage_config("segmentation"),
        backend=gpu_backend,
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/{sample}/segmentation.log",
    benchmark:
        "logs/{sample}/segmentation.bench.tsv"
    threads: 2
    resources:
        mem_mb=mem_mb_streaming,
        runtime=runtime_min,
    shell:
        "{params.command} --out results/{wildcards.sample} --overwrite {params.config} {params.backend} "
        "> {log:q} 2>&1"
