rule motion:
    input:
        movie=movie_path,
    output:
        corrected="results/{sample}/motion/corrected.tif",
        shifts="results/{sample}/motion/shifts.csv",
        reference="results/{sample}/motion/reference.tif",
        qc=report(
            "results/{sample}/motion/qc.png",
            caption="../report/motion.rst",
            category="Motion",
            subcategory="{sample}",
        ),
        stage="results/{sample}/motion/stage.json",
    params:
        astrocalc=ASTROCALC,
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
        "{params.astrocalc} motion {input.movie:q} --out results/{wildcards.sample} --overwrite "
        "{params.calibration} {params.config} {params.backend} > {log:q} 2>&1"
