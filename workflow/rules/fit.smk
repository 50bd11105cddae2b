rule fit:
    input:
        per_roi="results/{sample}/events/events_per_roi.csv",
        events="results/{sample}/events/events.csv",
        traces="results/{sample}/events/traces.csv",
        rois="results/{sample}/segmentation/rois.csv",
        pairs="results/{sample}/correlation/pairs.csv",
        motion="results/{sample}/motion/stage.json",
    output:
        statistics="results/{sample}/fit/statistics.json",
        parameters="results/{sample}/fit/parameters.json",
        figure=report(
            "results/{sample}/fit/fit.png",
            caption="../report/fit.rst",
            category="Model",
            subcategory="{sample}",
        ),
        figure_svg="results/{sample}/fit/fit.svg",
        figure_pdf="results/{sample}/fit/fit.pdf",
        posterior="results/{sample}/fit/posterior.csv",
        stage="results/{sample}/fit/stage.json",
    params:
        astrocalc=ASTROCALC,
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
        "NUMBA_NUM_THREADS={threads} {params.astrocalc} fit --out results/{wildcards.sample} "
        "--overwrite {params.config} {params.backend} "
        "> {log:q} 2>&1"
