rule events:
    input:
        corrected="results/{sample}/motion/corrected.tif",
        shifts="results/{sample}/motion/shifts.csv",
        motion="results/{sample}/motion/stage.json",
        rois="results/{sample}/segmentation/rois.tif",
        compartments="results/{sample}/segmentation/compartments.tif",
        summary="results/{sample}/segmentation/summary.tif",
    output:
        traces="results/{sample}/events/traces.csv",
        events="results/{sample}/events/events.csv",
        per_roi="results/{sample}/events/events_per_roi.csv",
        stage="results/{sample}/events/stage.json",
        **pixel_event_outputs(),
    params:
        astrocalc=ASTROCALC,
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
        "{params.astrocalc} events --out results/{wildcards.sample} --overwrite {params.config} {params.backend} "
        "> {log:q} 2>&1"
