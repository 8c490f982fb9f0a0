/* rng: xoshiro256** with splitmix64 seeding (see rng.h). */
#include "rng.h"

#include <string.h>

uint64_t emu_mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

void emu_rng_seed(struct emu_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = emu_mix64(seed) ^ emu_mix64(stream * 0xA0761D6478BD642FULL + 1);
	for (int i = 0; i < 4; i++) {
		x = emu_mix64(x);
		r->s[i] = x;
	}
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t emu_rng_next(struct emu_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t emu_rng_below(struct emu_rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	return emu_rng_next(r) % n; /* the bias is irrelevant for test data */
}

int64_t emu_rng_range(struct emu_rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)emu_rng_below(r, (uint64_t)(hi - lo) + 1);
}

double emu_rng_unit(struct emu_rng *r)
{
	return (double)(emu_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

void emu_rng_chars(struct emu_rng *r, char *out, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[emu_rng_below(r, k)];
	out[n] = '\0';
}
