rule compare:
    input:
        samples=config["samples"],
        recordings=expand(
            "results/{sample}/{rel}", sample=SAMPLES["sample"], rel=layout.COMPARE.reads
        ),
        # the events a person marked in napari, where any were (a new mark reruns compare)
        marks=lambda w: [
            f
            for f in expand(
                "results/{sample}/{rel}", sample=SAMPLES["sample"], rel=layout.EVENT_MARKS.path
            )
            if Path(f).is_file()
        ],
    output:
        **stage_outputs("compare", folder="results/compare"),
    params:
        command=stage_command("compare"),
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
        "{params.command} --samples {input.samples:q} --results results --by {params.by:q} "
        "--out results/compare --overwrite > {log:q} 2>&1"
