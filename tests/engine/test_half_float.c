/* test_half_float.c: the binary16 conversions of model format 2, exhaustively: every half
 * converts to the float of the IEEE definition and back to itself; rounding of floats
 * between halves is to nearest even; overflow and underflow. */
#include <math.h>

#include "half_float.h"
#include "test_util.h"

/* the value of a half by its definition (finite) */
static double half_definition(uint16_t h) {
  int ex = (h >> 10) & 0x1f, man = h & 0x3ff;
  double v = ex ? ldexp(1024 + man, ex - 25) : ldexp(man, -24);
  return (h & 0x8000u) ? -v : v;
}

int main(void) {
  int bad_value = 0, bad_back = 0;
  for (uint32_t h = 0; h < 0x10000u; h++) {
    const float f = bnn_half_to_float((uint16_t)h);
    const int ex = (h >> 10) & 0x1f;
    if (ex == 0x1f) {
      const int man = h & 0x3ff;
      if (man ? !isnan(f) : !(isinf(f) && (signbit(f) != 0) == ((h & 0x8000u) != 0))) bad_value++;
      if (!man && bnn_float_to_half(f) != h) bad_back++;
      if (man && (bnn_float_to_half(f) & 0x7c00u) != 0x7c00u) bad_back++; /* NaN stays NaN */
      continue;
    }
    if ((double)f != half_definition((uint16_t)h) || (signbit(f) != 0) != ((h & 0x8000u) != 0)) bad_value++;
    if (bnn_float_to_half(f) != h) bad_back++;
  }
  CHECK(bad_value == 0, "%d halves convert to a wrong float", bad_value);
  CHECK(bad_back == 0, "%d halves do not round-trip", bad_back);
  /* ties to even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10 */
  CHECK(bnn_float_to_half(1.0f + ldexpf(1, -11)) == 0x3c00u, "tie down to even");
  CHECK(bnn_float_to_half(1.0f + 3 * ldexpf(1, -11)) == 0x3c02u, "tie up to even");
  CHECK(bnn_float_to_half(65504.0f) == 0x7bffu && bnn_float_to_half(65520.0f) == 0x7c00u, "overflow");
  CHECK(bnn_float_to_half(-ldexpf(1, -26)) == 0x8000u, "underflow keeps the sign");
  CHECK(bnn_float_to_half(ldexpf(1, -25) * 1.5f) == 0x0001u, "rounds up to the smallest subnormal");
  return test_result("test_half_float");
}
