# glmnet_time.R -- the glmnet side of bench/linear_bench.py (not meant to be run by hand).
#
#   Rscript bench/glmnet_time.R CSV FAMILY ALPHAS REPS REP_CAP_S GAP_TARGET THRESHES OUTPREFIX SEARCH_CAP_S
#
# CSV        data with a header; the target is the last column
# FAMILY     gaussian | binomial
# ALPHAS     comma separated elastic-net mixings, one model each (e.g. "1,0.5")
# REPS       timed repetitions at the chosen thresh (the median is reported by the driver)
# REP_CAP_S  do only one repetition when a single fit takes longer than this
# GAP_TARGET largest acceptable certified relative duality gap over the path (1e-6)
# THRESHES   comma separated glmnet thresh values, tried in order until the gap holds
# OUTPREFIX  writes OUTPREFIX_a<k>.lambda (the lambda list, as soon as it is known),
#            OUTPREFIX_a<k>.json (summary) and OUTPREFIX_a<k>.beta (p x nlambda doubles,
#            column major, little endian) for the k-th alpha; OUTPREFIX_a<k>.beta0 the same
#            for the fit with every default
# SEARCH_CAP_S stop tightening thresh once a fit that misses the gap took longer than this
#            (the gap reached is then reported as missed)
# Progress lines "TRY k thresh seconds gap" go to stdout as each fit finishes.
#
# Protocol: the CSV is read outside every timer. For each alpha, glmnet runs with its
# defaults (timed too, for the defaults table, with its gap) to get its lambda sequence (extended geometrically to 100 values with glmnet's own
# ratio if the default path stopped early); every timed fit then gets that list via lambda=,
# and only the glmnet() call is timed (elapsed seconds from system.time, gc done before the
# timer starts; a fit faster than 50 ms is timed in batches, per-fit time reported). The
# relative duality gap of each fit is computed here (same definitions as rel_gap() in
# linear_bench.py, which re-checks the final fit) to choose thresh.
suppressPackageStartupMessages(library(glmnet))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 9) stop("usage: glmnet_time.R CSV FAMILY ALPHAS REPS REP_CAP_S GAP_TARGET THRESHES OUTPREFIX SEARCH_CAP_S")
csv <- args[1]
family <- args[2]
alphas <- as.numeric(strsplit(args[3], ",")[[1]])
reps <- as.integer(args[4])
rep_cap <- as.numeric(args[5])
gap_target <- as.numeric(args[6])
threshes <- as.numeric(strsplit(args[7], ",")[[1]])
outprefix <- args[8]
search_cap <- as.numeric(args[9])

hdr <- scan(csv, what = "", sep = ",", nlines = 1, quiet = TRUE)
v <- scan(csv, what = double(), sep = ",", skip = 1, quiet = TRUE)
M <- matrix(v, ncol = length(hdr), byrow = TRUE)
rm(v)
p <- ncol(M) - 1
x <- M[, 1:p, drop = FALSE]
y <- M[, p + 1]
rm(M)
n <- nrow(x)

# Standardized design (1/n standard deviations), as glmnet does internally.
mx <- colMeans(x)
sx <- sqrt(colMeans(sweep(x, 2, mx)^2))
sx[sx == 0] <- 1
xs <- sweep(sweep(x, 2, mx), 2, sx, "/")

xlogx <- function(q) ifelse(q > 0, q * log(q), 0)

# Relative duality gap of every fit on the path (see linear_bench.py for the definitions).
rel_gap <- function(a0, B, lam, alpha) {
  w <- 1 / n
  if (family == "gaussian") {
    ym <- mean(y)
    sy <- sqrt(mean((y - ym)^2))
    yt <- (y - ym) / sy
    lt <- lam / sy
    Bt <- B * sx / sy
    const <- (a0 + colSums(B * mx) - ym) / sy
    eta <- xs %*% Bt + rep(const, each = n)
    R <- yt - eta
    P <- 0.5 * w * colSums(R^2)
    C <- w * crossprod(xs, R)
    null <- 0.5 * w * sum((yt - mean(yt))^2)
  } else {
    lt <- lam
    Bt <- B * sx
    const <- a0 + colSums(B * mx)
    eta <- xs %*% Bt + rep(const, each = n)
    pr <- 1 / (1 + exp(-eta))
    P <- w * colSums(ifelse(eta > 0, eta + log1p(exp(-eta)), log1p(exp(eta))) - y * eta)
    C <- w * crossprod(xs, y - pr)
    yb <- mean(y)
    b0 <- log(yb / (1 - yb))
    null <- w * sum(log1p(exp(b0)) - y * b0)
  }
  P <- P + lt * ((1 - alpha) / 2 * colSums(Bt^2) + alpha * colSums(abs(Bt)))
  cmax <- apply(abs(C), 2, max)
  s <- if (alpha == 1) pmin(1, ifelse(cmax > 0, lt / cmax, 1)) else rep(1, length(lt))
  if (family == "gaussian") {
    D <- s * w * colSums(R * yt) - s^2 / 2 * w * colSums(R^2)
  } else {
    Q <- y + sweep(pr - y, 2, s, "*")
    D <- -w * colSums(xlogx(Q) + xlogx(1 - Q))
  }
  if (alpha < 1) {
    D <- D - colSums(pmax(sweep(abs(C), 2, s, "*") - rep(lt * alpha, each = p), 0)^2) / (2 * lt * (1 - alpha))
  }
  (P - D) / null
}

num <- function(v) paste0("[", paste(sprintf("%.17g", v), collapse = ","), "]")

# Times fit_once() (a function fitting once) at the repetitions asked: fits under 50 ms in
# batches (elapsed has 1 ms resolution; the time per fit is reported), one repetition for a
# fit slower than REP_CAP_S. `first` is the elapsed time of a fit already made, counted as
# the first repetition when not batching. Returns list(times, batch).
timed <- function(fit_once, first) {
  if (first < 0.05) {
    batch <- min(200, ceiling(0.25 / max(first, 0.001)))
    times <- c()
    for (r in seq_len(reps)) {
      el <- suppressWarnings(system.time(for (b in seq_len(batch)) fit_once())[["elapsed"]])
      times <- c(times, el / batch)
    }
    return(list(times = times, batch = batch))
  }
  times <- first
  if (reps > 1 && first <= rep_cap) {
    for (r in 2:reps) times <- c(times, suppressWarnings(system.time(fit_once())[["elapsed"]]))
  }
  list(times = times, batch = 1)
}

for (k in seq_along(alphas)) {
  a <- alphas[k]
  # glmnet with every default (thresh 1e-7, its own lambda sequence and early stop): the
  # defaults table of linear_bench.py.
  t0 <- system.time(fit0 <- glmnet(x, y, family = family, alpha = a))[["elapsed"]]
  lam0 <- fit0$lambda
  d0 <- timed(function() glmnet(x, y, family = family, alpha = a), t0)
  gap0 <- max(rel_gap(fit0$a0, as.matrix(fit0$beta), fit0$lambda, a))
  lam <- lam0
  if (length(lam) < 100) {
    ratio <- if (n < p) 1e-2 else 1e-4
    r <- ratio^(1 / 99)
    lam <- c(lam0, lam0[length(lam0)] * r^(seq_len(100 - length(lam0))))
  }
  out <- sprintf("%s_a%d", outprefix, k)
  writeLines(sprintf("%.17g", lam), paste0(out, ".lambda"))
  cat(sprintf("DEFAULT %d %d\n", k, length(lam0)))
  flush(stdout())
  tried <- c()
  gaps <- c()
  times <- c()
  warn <- c()
  chosen <- NA
  fit <- NULL
  for (thr in threshes) {
    wl <- character(0)
    el <- withCallingHandlers(
      system.time(fit <- glmnet(x, y, family = family, alpha = a, lambda = lam, thresh = thr))[["elapsed"]],
      warning = function(wn) { wl <<- c(wl, conditionMessage(wn)); invokeRestart("muffleWarning") }
    )
    g <- max(rel_gap(fit$a0, as.matrix(fit$beta), fit$lambda, a))
    tried <- c(tried, thr)
    gaps <- c(gaps, g)
    times <- c(times, el)
    warn <- c(warn, wl)
    cat(sprintf("TRY %d %g %.3f %.17g\n", k, thr, el, g))
    flush(stdout())
    if (g <= gap_target || el > search_cap) break
  }
  chosen <- tried[length(tried)]
  t1 <- times[length(times)]
  batch <- 1
  tr <- timed(function() glmnet(x, y, family = family, alpha = a, lambda = lam, thresh = chosen), t1)
  rep_times <- tr$times
  batch <- tr$batch
  con <- file(paste0(out, ".beta"), "wb")
  writeBin(as.vector(as.matrix(fit$beta)), con, size = 8, endian = "little")
  close(con)
  con <- file(paste0(out, ".beta0"), "wb")
  writeBin(as.vector(as.matrix(fit0$beta)), con, size = 8, endian = "little")
  close(con)
  json <- paste0(
    "{\"alpha\":", sprintf("%.17g", a),
    ",\"n\":", n, ",\"p\":", p,
    ",\"nlambda_default\":", length(lam0),
    ",\"default_lambda\":", num(lam0),
    ",\"default_a0\":", num(fit0$a0),
    ",\"default_times\":", num(d0$times),
    ",\"default_batch\":", d0$batch,
    ",\"default_gap_R\":", sprintf("%.17g", gap0),
    ",\"lambda\":", num(fit$lambda),
    ",\"a0\":", num(fit$a0),
    ",\"thresh_tried\":", num(tried),
    ",\"gap_tried\":", num(gaps),
    ",\"time_tried\":", num(times),
    ",\"thresh\":", sprintf("%.17g", chosen),
    ",\"times\":", num(rep_times),
    ",\"batch\":", batch,
    ",\"npasses\":", fit$npasses,
    ",\"jerr\":", fit$jerr,
    ",\"warnings\":[", paste(sprintf("\"%s\"", gsub("[\"\\\\\n]", " ", unique(warn))), collapse = ","), "]",
    ",\"glmnet_version\":\"", as.character(packageVersion("glmnet")), "\"",
    ",\"r_version\":\"", R.version$major, ".", R.version$minor, "\"}"
  )
  writeLines(json, paste0(out, ".json"))
}
