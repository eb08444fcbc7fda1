# export_regression_sets.R -- writes the regression sets of datasets/ that come from R's own
# packages (Debian r-base-core's `datasets` and r-cran-mass; install_r_mass.sh installs
# them), for the uncertainty tests of issue 17. Run from this folder:
#
#   Rscript export_regression_sets.R
#
# Rerunning it rewrites the same bytes (R 4.2.2, MASS 7.3-58.2). Conventions of datasets/:
# one header row, the target last, comma separated, LF.
suppressPackageStartupMessages(library(MASS))
out <- function(df, file) {
  write.csv(df, file, row.names = FALSE, quote = FALSE, eol = "\n")
  cat(file, nrow(df), "rows x", ncol(df) - 1, "features\n")
}
# Fiji earthquakes (datasets::quakes): magnitude from location, depth and stations reporting.
q <- datasets::quakes
out(q[, c("lat", "long", "depth", "stations", "mag")], "../quakes_fiji.csv")
# CPU performance (MASS::cpus, Ein-Dor & Feldmesser 1987): log10 of the published relative
# performance from the machine's cycle time, memory, cache and channels; the name and the
# authors' own estimate (estperf) are left out.
cp <- MASS::cpus
cp$log10_perf <- log10(cp$perf)
out(cp[, c("syct", "mmin", "mmax", "cach", "chmin", "chmax", "log10_perf")], "../cpus_performance.csv")
# Birth weight (MASS::birthwt, Hosmer & Lemeshow): grams from the mother's age, weight, race
# (1 white, 2 black, 3 other; kept as a number), smoking, previous premature labours,
# hypertension, uterine irritability and physician visits; `low` (bwt < 2500) is left out.
b <- MASS::birthwt
out(b[, c("age", "lwt", "race", "smoke", "ptl", "ht", "ui", "ftv", "bwt")], "../birthwt.csv")
