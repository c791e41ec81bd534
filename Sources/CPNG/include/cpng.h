#pragma once
#include <stddef.h>
#include <stdint.h>

// libpng reports fatal errors by longjmp-ing out of the failing call; each entry point here arms the
// jump itself so errors come back as a return code plus a message. Warnings are captured, never printed.

#define CPNG_MESSAGE_LENGTH 256

typedef struct cpng_decoder cpng_decoder;

// How samples should come out of the decoder.
enum {
    CPNG_MODE_8BIT = 0,   // 8-bit; palette -> RGB(A), gray+alpha -> RGBA, 16-bit -> high byte
    CPNG_MODE_NATIVE = 1, // keep the file's bit depth (16-bit samples host-endian); palette -> RGB(A)
    CPNG_MODE_INDEX = 2,  // 8-bit single-channel gray or palette indices, no palette expansion
};

typedef struct {
    int width, height;
    int channels;         // of the output: 1..4
    int bit_depth;        // of the output: 8 or 16
    int file_bit_depth;
    int file_color_type;  // PNG_COLOR_TYPE_*
    int warnings;
    char message[CPNG_MESSAGE_LENGTH];
} cpng_info;

cpng_decoder *cpng_decoder_create(const uint8_t *data, size_t size);
int cpng_read_header(cpng_decoder *d, int mode, cpng_info *info);
// pixels must hold height * width * channels * (bit_depth / 8) bytes.
int cpng_read_pixels(cpng_decoder *d, uint8_t *pixels, cpng_info *info);
void cpng_decoder_destroy(cpng_decoder *d);

// Encodes interleaved samples (16-bit ones host-endian). *out is malloc'd; release with cpng_free.
int cpng_encode(const uint8_t *pixels, int width, int height, int channels, int bit_depth,
                int compression_level, uint8_t **out, size_t *out_size, char *message);
void cpng_free(void *p);
