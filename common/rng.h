/* rng: a small seeded PRNG (xoshiro256** seeded through splitmix64). Deterministic for a given
 * seed, which is what the simulation and sampling code need; not for secrets. */
#ifndef VIGIL_RNG_H
#define VIGIL_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform in [0, 1). */
double rng_double(struct rng *r);

#endif
