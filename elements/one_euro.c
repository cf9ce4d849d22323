/* one_euro.c: the One Euro filter: an exponential smoother whose cutoff frequency
 * rises with the (itself smoothed) speed of the signal. */
#include "one_euro.h"

#include <math.h>

static double
smoothing_factor (double cutoff, double dt)
{
  const double tau = 1.0 / (2.0 * 3.14159265358979323846 * cutoff);
  return 1.0 / (1.0 + tau / dt);
}

void
one_euro_reset (OneEuroFilter * f)
{
  f->initialised = 0;
  f->x_prev = 0.0;
  f->dx_prev = 0.0;
}

double
one_euro_filter (OneEuroFilter * f, const OneEuroParams * p, double x, double dt)
{
  if (!f->initialised) {
    f->initialised = 1;
    f->x_prev = x;
    f->dx_prev = 0.0;
    return x;
  }
  if (!(dt > 0.0))
    dt = 1.0 / 30.0;
  const double d_cut = p->d_cutoff > 0.0 ? p->d_cutoff : 1.0;
  const double dx = (x - f->x_prev) / dt;
  const double a_d = smoothing_factor (d_cut, dt);
  const double dx_hat = a_d * dx + (1.0 - a_d) * f->dx_prev;
  double cutoff = p->min_cutoff + p->beta * fabs (dx_hat);
  if (cutoff <= 0.0)
    cutoff = 1e-3;
  const double a = smoothing_factor (cutoff, dt);
  const double x_hat = a * x + (1.0 - a) * f->x_prev;
  f->x_prev = x_hat;
  f->dx_prev = dx_hat;
  return x_hat;
}
