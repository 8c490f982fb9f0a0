/* rng: the emulator's deterministic pseudo-random numbers (xoshiro256**
 * seeded through splitmix64), so that --seed reproduces data and faults. */
#ifndef EMU_RNG_H
#define EMU_RNG_H

#include <stddef.h>
#include <stdint.h>

struct emu_rng {
	uint64_t s[4];
};

uint64_t emu_mix64(uint64_t x);
/* Independent streams for one seed: (seed, stream) -> state. */
void emu_rng_seed(struct emu_rng *r, uint64_t seed, uint64_t stream);
uint64_t emu_rng_next(struct emu_rng *r);
/* Uniform in [0, n); 0 when n == 0. */
uint64_t emu_rng_below(struct emu_rng *r, uint64_t n);
/* Uniform in [lo, hi]. */
int64_t emu_rng_range(struct emu_rng *r, int64_t lo, int64_t hi);
/* Uniform in [0, 1). */
double emu_rng_unit(struct emu_rng *r);
/* n random characters from alphabet, NUL-terminated (out has n + 1 bytes). */
void emu_rng_chars(struct emu_rng *r, char *out, size_t n, const char *alphabet);
/* Picks one of n entries. */
#define EMU_PICK(r, arr) ((arr)[emu_rng_below((r), sizeof(arr) / sizeof((arr)[0]))])

#endif
