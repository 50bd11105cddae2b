rule correlation:
    input:
        traces="results/{sample}/events/traces.csv",
        events="results/{sample}/events/events.csv",
        rois="results/{sample}/segmentation/rois.tif",
        table="results/{sample}/segmentation/rois.csv",
        summary="results/{sample}/segmentation/summary.tif",
    output:
        matrix="results/{sample}/correlation/correlation.csv",
        null="results/{sample}/correlation/correlation_null.csv",
        pairs="results/{sample}/correlation/pairs.csv",
        clusters="results/{sample}/correlation/clusters.csv",
        png=report(
            "results/{sample}/correlation/correlation.png",
            caption="../report/correlation.rst",
            category="Correlation",
            subcategory="{sample}",
        ),
        svg="results/{sample}/correlation/correlation.svg",
        panel=report(
            "results/{sample}/correlation/panel.png",
            caption="../report/panel.rst",
            category="Correlation",
            subcategory="{sample}",
        ),
        distance=report(
            "results/{sample}/correlation/r_vs_distance.png",
            caption="../report/distance.rst",
            category="Correlation",
            subcategory="{sample}",
        ),
        stage="results/{sample}/correlation/stage.json",
    params:
        astrocalc=ASTROCALC,
        config=stage_config,
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
        "{params.astrocalc} correlate --out results/{wildcards.sample} --overwrite {params.config} "
        "> {log:q} 2>&1"
