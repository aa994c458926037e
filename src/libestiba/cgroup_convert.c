/* v1 <-> v2 value conversions: see cgroup_convert.h.  The logarithms and
 * powers are computed here (series in long double) so the runtime does not
 * need libm for two formulas.  */
#include <config.h>
#include "cgroup_convert.h"

#define LN2  0.693147180559945309417232121458176568L
#define LN10 2.302585092994045684017991454684364208L

/* ln x for x > 0: x = m 2^k with m in [1, 2), ln m = 2 atanh((m-1)/(m+1)).  */
static long double
ln_ld (long double x)
{
  long double t, t2, term, sum = 0;
  int k = 0, n;

  while (x >= 2)
    {
      x /= 2;
      k++;
    }
  while (x < 1)
    {
      x *= 2;
      k--;
    }
  t = (x - 1) / (x + 1);
  t2 = t * t;
  term = t;
  for (n = 0; n < 60; n++)
    {
      sum += term / (2 * n + 1);
      term *= t2;
    }
  return 2 * sum + k * LN2;
}

/* e^y: y = n ln2 + r with |r| <= ln2 / 2, Taylor series for e^r.  */
static long double
exp_ld (long double y)
{
  long double r, term = 1, sum = 1;
  long n = (long) (y / LN2 + (y < 0 ? -0.5L : 0.5L)), i;

  r = y - n * LN2;
  for (i = 1; i < 40; i++)
    {
      term *= r / i;
      sum += term;
    }
  for (; n > 0; n--)
    sum *= 2;
  for (; n < 0; n++)
    sum /= 2;
  return sum;
}

static long double
sqrt_ld (long double x)
{
  long double r = x > 1 ? x : 1;
  int i;

  for (i = 0; i < 200; i++)
    r = (r + x / r) / 2;
  return r;
}

/* Results this close above an integer are that integer: the series'
 * rounding must not turn 100 into 101.  */
#define SLACK 1e-9L

uint64_t
cgroup_shares_to_weight (uint64_t shares)
{
  long double l, exponent, weight;
  uint64_t w;

  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  l = ln_ld ((long double) shares) / LN2;
  exponent = (l * l + 125 * l) / 612 - 7.0L / 34;
  weight = exp_ld (exponent * LN10);
  w = (uint64_t) weight;
  if (weight - (long double) w > SLACK)
    w++;
  return w < 1 ? 1 : w > 10000 ? 10000 : w;
}

uint64_t
cgroup_weight_to_shares (uint64_t weight)
{
  long double c, l;
  uint64_t s;

  if (weight == 0)
    return 0;
  if (weight <= 1)
    return 2;
  if (weight >= 10000)
    return 262144;
  /* l^2 + 125 l - 612 (log10 weight + 7/34) = 0, the positive root.
   * Rounded down, not to the nearest: shares_to_weight rounds up, and
   * gives back this weight only for shares at or below the exact root.  */
  c = 612 * (ln_ld ((long double) weight) / LN10 + 7.0L / 34);
  l = (-125 + sqrt_ld (125.0L * 125 + 4 * c)) / 2;
  s = (uint64_t) (exp_ld (l * LN2) + SLACK);
  return s < 2 ? 2 : s > 262144 ? 262144 : s;
}

uint64_t
cgroup_blkio_to_io_weight (uint64_t weight)
{
  if (weight < 10)
    weight = 10;
  return 1 + (weight - 10) * 9999 / 990;
}

uint64_t
cgroup_io_to_blkio_weight (uint64_t weight)
{
  if (weight < 1)
    weight = 1;
  return 10 + (weight - 1) * 990 / 9999;
}
