/* one_euro.h: the One Euro filter (Casiez, Roussel, Vogel, CHI 2012), a speed-adaptive
 * low-pass filter for jittery positions: smooth when still, responsive when moving. */
#ifndef BNNLM_ONE_EURO_H
#define BNNLM_ONE_EURO_H

typedef struct {
  double min_cutoff; /* Hz: cutoff at rest; lower = smoother, laggier */
  double beta;       /* cutoff increase per unit/s of speed; higher = less lag */
  double d_cutoff;   /* Hz: cutoff of the speed estimate */
} OneEuroParams;

typedef struct {
  int initialised;
  double x_prev; /* last filtered value */
  double dx_prev; /* last filtered derivative (units/s) */
} OneEuroFilter;

void one_euro_reset (OneEuroFilter * f);
/* Filters value x observed dt seconds after the previous one (dt <= 0: treated as
 * 1/30 s). The first call returns x unchanged. */
double one_euro_filter (OneEuroFilter * f, const OneEuroParams * p, double x, double dt);

#endif
