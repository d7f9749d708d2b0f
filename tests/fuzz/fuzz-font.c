/*
 * libFuzzer target for the font file parsers: the input is a font file's
 * bytes (a file named with --font or ANLASSER_FONT, from the user's
 * disk), given to glyph_font_parse, which picks PSF 1, PSF 2 or a
 * FreeBSD vt font by the magic.  Invariants: a font or a cause, never
 * both and never neither; the cause starts with the file's name.  A font
 * that loads then reads a one-cell frame made of the input's bytes.
 * Built by ./configure --enable-fuzzing, and by tests/fuzz/run-fuzz.sh in
 * any build.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "glyph.h"

#define FUZZ_NAME	"fuzz.fnt"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct glyph_font	*f;
	struct glyph_screen	 s;
	struct glyph_frame	 fr;
	uint32_t		 px[GLYPH_MAXW * GLYPH_MAXH];
	char			*cause = NULL;
	size_t			 i;

	f = glyph_font_parse(FUZZ_NAME, data, size, &cause);
	if ((f == NULL) == (cause == NULL))
		abort();
	if (f == NULL) {
		if (strncmp(cause, FUZZ_NAME ": ", strlen(FUZZ_NAME) + 2) != 0)
			abort();
		free(cause);
		return (0);
	}
	/* Two colours from the input's bits: whatever cell it makes. */
	for (i = 0; i < GLYPH_MAXW * GLYPH_MAXH; i++)
		px[i] = (data[(i / 8) % size] >> (i % 8)) & 1 ? 0xffffff : 0;
	fr.px = px;
	fr.width = GLYPH_MAXW;
	fr.height = GLYPH_MAXH;
	memset(&s, 0, sizeof s);
	s.cols = s.rows = 1;
	glyph_read_grid(f, &fr, 0, &s);
	if (s.cell_w < 1 || s.cell_w > GLYPH_MAXW || s.cell_h < 1 ||
	    s.cell_h > GLYPH_MAXH || strcmp(s.font, FUZZ_NAME) != 0)
		abort();
	glyph_screen_free(&s);
	glyph_font_free(f);
	return (0);
}
