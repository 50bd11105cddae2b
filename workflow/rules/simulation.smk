rule simulation:
    input:
        parameters="results/{sample}/fit/parameters.json",
        posterior="results/{sample}/fit/posterior.csv",
    output:
        compartments="results/{sample}/simulation/compartments.csv",
        plasticity="results/{sample}/simulation/plasticity.csv",
        figure=report(
            "results/{sample}/simulation/simulation.png",
            caption="../report/simulation.rst",
            category="Model",
            subcategory="{sample}",
        ),
        figure_svg="results/{sample}/simulation/simulation.svg",
        figure_pdf="results/{sample}/simulation/simulation.pdf",
        posterior="results/{sample}/simulation/posterior.csv",
        stage="results/{sample}/simulation/stage.json",
    params:
        astrocalc=ASTROCALC,
        config=stage_config("simulation"),
        backend=gpu_backend,
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/{sample}/simulation.log",
    benchmark:
        "logs/{sample}/simulation.bench.tsv"
    threads: 2
    resources:
        mem_mb=mem_mb_tables,
        runtime=runtime_model,
    shell:
        "NUMBA_NUM_THREADS={threads} {params.astrocalc} simulate --out results/{wildcards.sample} "
        "--overwrite {params.config} {params.backend} "
        "> {log:q} 2>&1"


rule provenance:
    input:
        expand(
            "results/{{sample}}/{stage}/stage.json",
            stage=["motion", "segmentation", "events", "correlation", "fit", "simulation"],
        ),
    output:
        "results/{sample}/run.json",
    params:
        astrocalc=ASTROCALC,
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/{sample}/provenance.log",
    benchmark:
        "logs/{sample}/provenance.bench.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "{params.astrocalc} provenance --out results/{wildcards.sample} --overwrite > {log:q} 2>&1"
