rule motion:
    input:
        movie=movie_files,
        **stage_inputs("motion"),
    output:
        **stage_outputs("motion"),
    params:
        command=stage_command("motion"),
        movie=movie_path,
        calibration=calibration_args,
        config=stage_config("motion"),
        backend=gpu_backend,
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/{sample}/motion.log",
    benchmark:
        "logs/{sample}/motion.bench.tsv"
    threads: 2
    resources:
        mem_mb=mem_mb_streaming,
        runtime=runtime_min,
    shell:
        "{params.command} {params.movie:q} --out results/{wildcards.sample} --overwrite "
        "{params.calibration} {params.config} {params.backend} > {log:q} 2>&1"
