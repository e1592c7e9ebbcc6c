// XXH64 (seed 0) over input given in pieces, for calls/xxh64.ts: the memory hash of guest memory (calls/hash.ts).
// Written from the algorithm's published specification (xxHash, "XXH64 algorithm description"). No libc.
//
// Use: reset(); then stripes(p, n) for each piece but the last (n a multiple of 32); then finish(p, n, out) with the
// last piece (any n, 0 included), which writes the 8-byte digest at `out` in the canonical (big-endian) order.
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define PRIME1 11400714785074694791ULL
#define PRIME2 14029467366897019727ULL
#define PRIME3 1609587929392839161ULL
#define PRIME4 9650029242287828579ULL
#define PRIME5 2870177450012600261ULL

static u64 acc[4];
static u64 total;

static inline u64 rotl(u64 x, unsigned r) { return (x << r) | (x >> (64 - r)); }
// wasm is little-endian, the order XXH64 reads its lanes in
static inline u64 read64(const u8 *p) { u64 v; __builtin_memcpy(&v, p, 8); return v; }
static inline u32 read32(const u8 *p) { u32 v; __builtin_memcpy(&v, p, 4); return v; }
static inline u64 round64(u64 a, u64 lane) { return rotl(a + lane * PRIME2, 31) * PRIME1; }
static inline u64 merge64(u64 h, u64 a) { return (h ^ round64(0, a)) * PRIME1 + PRIME4; }

__attribute__((export_name("reset"))) void reset(void) {
  acc[0] = PRIME1 + PRIME2;
  acc[1] = PRIME2;
  acc[2] = 0;
  acc[3] = 0 - PRIME1;
  total = 0;
}

static void consume(const u8 *p, u32 count) {
  u64 a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  for (u32 i = 0; i < count; i++, p += 32) {
    a0 = round64(a0, read64(p));
    a1 = round64(a1, read64(p + 8));
    a2 = round64(a2, read64(p + 16));
    a3 = round64(a3, read64(p + 24));
  }
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

__attribute__((export_name("stripes"))) void stripes(const u8 *p, u32 len) {
  consume(p, len / 32);
  total += len;
}

__attribute__((export_name("finish"))) void finish(const u8 *p, u32 len, u8 *out) {
  u32 whole = len / 32;
  consume(p, whole);
  total += len;
  p += whole * 32;
  len -= whole * 32;
  u64 h;
  if (total >= 32) {
    h = rotl(acc[0], 1) + rotl(acc[1], 7) + rotl(acc[2], 12) + rotl(acc[3], 18);
    h = merge64(h, acc[0]);
    h = merge64(h, acc[1]);
    h = merge64(h, acc[2]);
    h = merge64(h, acc[3]);
  } else {
    h = PRIME5; // + seed 0
  }
  h += total;
  for (; len >= 8; p += 8, len -= 8) h = rotl(h ^ round64(0, read64(p)), 27) * PRIME1 + PRIME4;
  if (len >= 4) {
    h = rotl(h ^ (u64)read32(p) * PRIME1, 23) * PRIME2 + PRIME3;
    p += 4;
    len -= 4;
  }
  for (; len > 0; p++, len--) h = rotl(h ^ (u64)*p * PRIME5, 11) * PRIME1;
  h ^= h >> 33;
  h *= PRIME2;
  h ^= h >> 29;
  h *= PRIME3;
  h ^= h >> 32;
  for (int i = 7; i >= 0; i--, h >>= 8) out[i] = (u8)h;
}
