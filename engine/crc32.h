/* crc32.h: CRC-32 as zlib computes it (crc32(0, buf, len)), for the .bnn file sections.
 * Internal to the engine (exported from libbnnlm for the model writers and tests). */
#ifndef BNN_CRC32_H
#define BNN_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc over n bytes; start with crc = 0. */
uint32_t bnn_crc32(uint32_t crc, const void *data, size_t n);

#endif
