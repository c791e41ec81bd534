#pragma once
#include <stddef.h>
#include <stdint.h>

// libjpeg reports fatal errors through a callback that must not return (the default calls exit()).
// Every entry point here arms a setjmp before touching libjpeg, so a bad file becomes a return code
// plus a message, and warnings are collected instead of printed.

#define CJPEG_MESSAGE_LENGTH 256

typedef struct cjpeg_decoder cjpeg_decoder;

typedef struct {
    int width, height;        // size of the decoded output (after any DCT scaling)
    int source_width, source_height;  // size stated in the file's frame header (what libjpeg works at)
    int channels;             // 1 or 3
    int exif_orientation;     // 1..8 from the APP1 Exif block, 0 when absent or unreadable
    int warnings;             // non-fatal problems seen so far
    int truncated;            // the data ended before the image did
    char message[CJPEG_MESSAGE_LENGTH];  // the first fatal error, else the last warning
} cjpeg_info;

// Reads the header. scale_denom 1, 2, 4 or 8 asks libjpeg for a reduced-size decode.
// Returns NULL only when out of memory; otherwise check the return code of the calls.
cjpeg_decoder *cjpeg_decoder_create(void);
// Bounds for hostile files, applied by the next cjpeg_read_header: libjpeg's own memory cap in bytes
// (its whole-image buffers fail with an error beyond it; 0 = none), and the most scans a progressive
// file may have (each scan re-walks the whole image, so thousands of tiny scans are a cheap way to hang
// a decoder; 0 = none).
void cjpeg_set_limits(cjpeg_decoder *d, long max_memory, int max_scans);
int cjpeg_read_header(cjpeg_decoder *d, const uint8_t *data, size_t size, int scale_denom, cjpeg_info *info);
// Fills pixels (height * width * channels bytes). Returns 0 on success.
int cjpeg_read_pixels(cjpeg_decoder *d, uint8_t *pixels, cjpeg_info *info);
void cjpeg_decoder_destroy(cjpeg_decoder *d);

// Encodes 1- or 3-channel interleaved pixels. *out is malloc'd by libjpeg; release it with cjpeg_free.
// app1 (may be NULL) is written verbatim as an APP1 marker, e.g. an Exif block.
int cjpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                 const uint8_t *app1, size_t app1_length,
                 uint8_t **out, size_t *out_size, char *message);
void cjpeg_free(void *p);
