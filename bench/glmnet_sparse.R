# glmnet_sparse.R -- the glmnet side of bench/linear_sparse.py (not meant to be run by hand).
#
#   Rscript bench/glmnet_sparse.R BASE Y FAMILY ALPHA THRESH LAMBDA REPS REP_CAP_S OUT
#
# BASE      the design written by linear_sparse.py: BASE.dims ("n p"), BASE.i32 and BASE.j32
#           (0-based row and column of each nonzero, int32 little endian), BASE.f64 (values)
# Y         the response, n doubles (little endian)
# FAMILY    gaussian | binomial
# ALPHA     elastic-net mixing
# THRESH    glmnet's thresh ("default": leave glmnet's default, 1e-7)
# LAMBDA    a file with one lambda per line, or "-" for glmnet's own sequence (every default)
# REPS      timed repetitions (one when a fit takes longer than REP_CAP_S)
# OUT       writes OUT.json (times, lambda, a0, npasses, jerr, versions) and OUT.beta (the
#           nonzero coefficients: int32 feature, int32 lambda index, both 0-based, then the
#           float64 values, as three consecutive arrays; their count is in OUT.json)
#
# X is a dgCMatrix (glmnet's sparse input path): built outside the timer, like the response.
# Only the glmnet() call is timed (elapsed seconds from system.time, gc done before the timer).
suppressPackageStartupMessages(library(glmnet))
suppressPackageStartupMessages(library(Matrix))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 9) stop("usage: glmnet_sparse.R BASE Y FAMILY ALPHA THRESH LAMBDA REPS REP_CAP_S OUT")
base <- args[1]
family <- args[3]
alpha <- as.numeric(args[4])
reps <- as.integer(args[7])
rep_cap <- as.numeric(args[8])
out <- args[9]

dims <- scan(paste0(base, ".dims"), what = integer(), quiet = TRUE)
n <- dims[1]
p <- dims[2]
nnz <- file.info(paste0(base, ".f64"))$size / 8
rd <- function(ext, what, size) {
  con <- file(paste0(base, ext), "rb")
  on.exit(close(con))
  readBin(con, what, n = nnz, size = size, endian = "little")
}
x <- sparseMatrix(i = rd(".i32", integer(), 4) + 1L, j = rd(".j32", integer(), 4) + 1L,
                  x = rd(".f64", double(), 8), dims = c(n, p))
x <- as(x, "CsparseMatrix")
con <- file(args[2], "rb")
y <- readBin(con, double(), n = n, size = 8, endian = "little")
close(con)

call_args <- list(x = x, y = y, family = family, alpha = alpha)
if (args[5] != "default") call_args$thresh <- as.numeric(args[5])
if (args[6] != "-") call_args$lambda <- scan(args[6], what = double(), quiet = TRUE)
fit_once <- function() do.call(glmnet, call_args)

times <- c()
warns <- c()
for (r in seq_len(reps)) {
  gc()
  el <- system.time(fit <- withCallingHandlers(fit_once(), warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  }))[["elapsed"]]
  times <- c(times, el)
  if (el > rep_cap) break
}

b <- summary(as(fit$beta, "CsparseMatrix"))
con <- file(paste0(out, ".beta"), "wb")
writeBin(as.integer(b$i - 1L), con, size = 4, endian = "little")
writeBin(as.integer(b$j - 1L), con, size = 4, endian = "little")
writeBin(as.double(b$x), con, size = 8, endian = "little")
close(con)

num <- function(v) paste0("[", paste(sprintf("%.17g", v), collapse = ","), "]")
str <- function(s) paste0("\"", gsub("\"", "'", s), "\"")
cat(paste0("{\"times\": ", num(times), ", \"lambda\": ", num(fit$lambda), ", \"a0\": ", num(fit$a0),
           ", \"nnz_beta\": ", nrow(b), ", \"npasses\": ", fit$npasses, ", \"jerr\": ", fit$jerr,
           ", \"warnings\": [", paste(sapply(unique(warns), str), collapse = ","), "]",
           ", \"glmnet_version\": \"", as.character(packageVersion("glmnet")),
           "\", \"r_version\": \"", R.version$major, ".", R.version$minor, "\"}\n"),
    file = paste0(out, ".json"))
