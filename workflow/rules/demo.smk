# Synthetic demo recordings (astrocalc synth): used when a sample's path is demo/{name}.tif.


rule demo_movie:
    output:
        movie="demo/{name}.tif",
        truth=directory("demo/{name}_truth"),
    params:
        astrocalc=ASTROCALC,
        args=demo_args,
    conda:
        "../envs/astrocalc.yaml"
    log:
        "logs/demo/{name}.log",
    benchmark:
        "logs/demo/{name}.bench.tsv"
    threads: 1
    resources:
        # the movie is rendered and written chunk by chunk
        mem_mb=1000,
        runtime=10,
    shell:
        "{params.astrocalc} synth {output.movie:q} {params.args} --overwrite > {log:q} 2>&1"
