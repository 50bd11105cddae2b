# astrocalc workflow: every recording in the sample sheet through motion, segmentation,
# events, correlation, fit and simulation, then a comparison across recordings.
#   snakemake --cores 2                                  (local)
#   snakemake --workflow-profile workflow/profiles/slurm (cluster)
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/motion.smk"
include: "workflow/rules/segmentation.smk"
include: "workflow/rules/events.smk"
include: "workflow/rules/correlation.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/simulation.smk"
include: "workflow/rules/compare.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
