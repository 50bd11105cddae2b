rule segmentation:
    input:
        corrected="results/{sample}/motion/corrected.tif",
        shifts="results/{sample}/motion/shifts.csv",
        stage="results/{sample}/motion/stage.json",
    output:
        rois="results/{sample}/segmentation/rois.tif",
        table="results/{sample}/segmentation/rois.csv",
        summary="results/{sample}/segmentation/summary.tif",
        roiset="results/{sample}/segmentation/rois.zip",
        compartments="results/{sample}/segmentation/compartments.tif",
        activity="results/{sample}/segmentation/activity.tif",
        frame_wide="results/{sample}/segmentation/global.csv",
        figure=report(
            "results/{sample}/segmentation/rois.png",
            caption="../report/rois.rst",
            category="Segmentation",
            subcategory="{sample}",
        ),
        stage="results/{sample}/segmentation/stage.json",
    params:
        astrocalc=ASTROCALC,
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
        "{params.astrocalc} segment --out results/{wildcards.sample} --overwrite {params.config} {params.backend} "
        "> {log:q} 2>&1"
