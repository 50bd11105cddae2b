rule compare:
    input:
        samples=config["samples"],
        runs=expand("results/{sample}/run.json", sample=SAMPLES["sample"]),
        fits=expand("results/{sample}/fit/parameters.json", sample=SAMPLES["sample"]),
    output:
        summary="results/compare/summary.csv",
        tests="results/compare/tests.csv",
        condition="results/compare/condition.csv",
        png=report(
            "results/compare/compare.png",
            caption="../report/compare.rst",
            category="Comparison",
        ),
        svg="results/compare/compare.svg",
        pdf="results/compare/compare.pdf",
    params:
        astrocalc=ASTROCALC,
        by=config["compare_by"],
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/compare.log",
    benchmark:
        "logs/compare.bench.tsv"
    threads: 1
    resources:
        mem_mb=mem_mb_tables,
        runtime=runtime_min,
    shell:
        "{params.astrocalc} compare --samples {input.samples:q} --results results --by {params.by:q} "
        "--out results/compare --overwrite > {log:q} 2>&1"
