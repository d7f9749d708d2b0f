/*
 * Figures for the VM screen view (not a test): milliseconds to
 * recognise a frame and the share of its cells read right (against the
 * frame's ground truth, tests/unit/frames/NAME.txt, taken from the
 * guest's own text buffer), and the bytes curses writes to the terminal
 * for a full redraw and for an unchanged frame, text and pixel view, in
 * 256 and in direct colour.
 *
 *   make tests/bench/bench-vnc && top_srcdir=... tests/bench/bench-vnc
 */
#include "config.h"

#include <err.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "compat.h"
#include "util.h"
#include "xmalloc.h"
#include "glyph.h"
#include "tui.h"

#define RUNS	50

static uint32_t *
ppm_load(const char *name, int *w, int *h)
{
	const char	*top = getenv("top_srcdir");
	char		*cmd;
	FILE		*fp;
	uint32_t	*px;
	unsigned char	 rgb[3];
	int		 maxv;
	size_t		 i;

	xasprintf(&cmd, "gzip -dc '%s/tests/unit/frames/%s.ppm.gz'",
	    top != NULL ? top : ".", name);
	fp = popen(cmd, "r");
	free(cmd);
	if (fp == NULL || fscanf(fp, "P6 %d %d %d", w, h, &maxv) != 3 ||
	    fgetc(fp) == EOF)
		errx(1, "%s: cannot read the frame (set top_srcdir)", name);
	px = xcalloc((size_t)*w * *h, sizeof *px);
	for (i = 0; i < (size_t)*w * *h && fread(rgb, 1, 3, fp) == 3; i++)
		px[i] = (uint32_t)rgb[0] << 16 | rgb[1] << 8 | rgb[2];
	pclose(fp);
	return (px);
}

/* The centre w x h of a frame (OVMF centres its text: still aligned). */
static uint32_t *
crop(const uint32_t *px, int fw, int fh, int w, int h)
{
	uint32_t	*out = xcalloc((size_t)w * h, sizeof *out);
	int		 y, x0 = (fw - w) / 2, y0 = (fh - h) / 2;

	for (y = 0; y < h; y++)
		memcpy(&out[(size_t)y * w], &px[(size_t)(y + y0) * fw + x0],
		    w * sizeof *out);
	return (out);
}

/* Non-blank cells of the ground truth NAME.txt, and how many were read. */
static void
accuracy(const char *name, const struct glyph_screen *s, int *cells,
    int *right)
{
	const char	*top = getenv("top_srcdir");
	char		*path, line[4096], *got;
	wchar_t		 want[1024], have[1024];
	FILE		*fp;
	size_t		 nw, nh, k;
	int		 r;

	*cells = *right = 0;
	xasprintf(&path, "%s/tests/unit/frames/%s.txt",
	    top != NULL ? top : ".", name);
	if ((fp = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	free(path);
	for (r = 0; r < s->rows && fgets(line, sizeof line, fp) != NULL;
	    r++) {
		line[strcspn(line, "\n")] = '\0';
		got = glyph_row_text(s, r);
		if ((nw = mbstowcs(want, line, 1023)) == (size_t)-1 ||
		    (nh = mbstowcs(have, got, 1023)) == (size_t)-1)
			errx(1, "%s: not UTF-8 (locale C.UTF-8 missing?)",
			    name);
		free(got);
		for (k = 0; k < nw; k++) {
			if (want[k] == L' ' || want[k] == 0xa0)
				continue;
			(*cells)++;
			if (k < nh && have[k] == want[k])
				(*right)++;
		}
	}
	fclose(fp);
}

static void
bench_read(const char *what, const char *truth, const uint32_t *px, int w,
    int h, struct glyph_screen *keep)
{
	struct glyph_set	*gs;
	struct glyph_screen	 s;
	struct glyph_frame	 fr = { px, w, h };
	double			 t0, first, steady;
	int			 i, cells, right;

	memset(&s, 0, sizeof s);
	gs = glyph_set_new();
	t0 = mono_now();
	glyph_read(gs, &fr, &s);
	first = mono_now() - t0;
	t0 = mono_now();
	for (i = 0; i < RUNS; i++)
		glyph_read(gs, &fr, &s);
	steady = (mono_now() - t0) / RUNS;
	printf("%-28s %4dx%-4d %-10s %3dx%-3d %5d cells  first %6.2f ms  "
	    "then %6.2f ms/frame  unknown %d\n", what, w, h, s.font, s.cols,
	    s.rows, s.nonblank, first * 1000, steady * 1000, s.unknown);
	if (truth != NULL) {
		accuracy(truth, &s, &cells, &right);
		printf("%-28s %d of %d non-blank cells right: %.1f %%\n", "",
		    right, cells, cells > 0 ? 100.0 * right / cells : 0);
	}
	glyph_set_free(gs);
	if (keep != NULL)
		*keep = s;
	else
		glyph_screen_free(&s);
}

/* Bytes written so far (curses writes to the descriptor itself). */
static long
flushed(FILE *out)
{
	fflush(out);
	return ((long)lseek(fileno(out), 0, SEEK_CUR));
}

int
main(void)
{
	struct glyph_screen	 ovmf;
	uint32_t		*shell, *linux_fb, *linux_vga, *small;
	FILE			*out, *in;
	SCREEN			*scr;
	long			 a, b, c;
	int			 w, h, lw, lh, vw, vh, i;

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		errx(1, "locale C.UTF-8 missing");
	shell = ppm_load("ovmf-shell", &w, &h);
	linux_fb = ppm_load("linux-fbcon", &lw, &lh);
	linux_vga = ppm_load("linux-vga", &vw, &vh);
	small = crop(shell, w, h, 1280, 800);
	printf("recognition (%d runs):\n", RUNS);
	bench_read("OVMF shell", "ovmf-shell", shell, w, h, NULL);
	bench_read("OVMF shell (cropped)", NULL, small, 1280, 800, &ovmf);
	bench_read("Linux fbcon", "linux-fbcon", linux_fb, lw, lh, NULL);
	bench_read("Linux VGA text mode", "linux-vga", linux_vga, vw, vh,
	    NULL);

	/*
	 * Terminal output: curses on a 200x60 terminal into a file, with
	 * the palette (xterm-256color) and with direct colour (xterm-direct,
	 * package ncurses-term).
	 */
	setenv("COLUMNS", "200", 1);
	setenv("LINES", "60", 1);
	for (i = 0; i < 2; i++) {
		const char	*term = i == 0 ? "xterm-256color" :
			    "xterm-direct";

		if ((out = tmpfile()) == NULL ||
		    (in = fopen("/dev/null", "r")) == NULL)
			err(1, "tmpfile");
		if ((scr = newterm(term, out, in)) == NULL) {
			printf("%s: no terminfo entry, skipped\n", term);
			fclose(out);
			fclose(in);
			continue;
		}
		start_color();
		use_default_colors();
		a = flushed(out);
		preview_render_text(&ovmf, 1, LINES - 3, COLS, 1);
		refresh();
		b = flushed(out);
		preview_render_text(&ovmf, 1, LINES - 3, COLS, 1);
		refresh();
		c = flushed(out);
		printf("%s %dx%d, text view of the 1280x800 frame: full "
		    "redraw %ld bytes, unchanged frame %ld bytes\n", term,
		    COLS, LINES, b - a, c - b);
		erase();
		refresh();
		a = flushed(out);
		preview_render_pixels(small, 1280, 800, 1, LINES - 3, COLS);
		refresh();
		b = flushed(out);
		preview_render_pixels(small, 1280, 800, 1, LINES - 3, COLS);
		refresh();
		c = flushed(out);
		printf("%s %dx%d, pixel view of the 1280x800 frame: full "
		    "redraw %ld bytes, unchanged frame %ld bytes\n", term,
		    COLS, LINES, b - a, c - b);
		endwin();
		delscreen(scr);
		fclose(out);
		fclose(in);
	}
	glyph_screen_free(&ovmf);
	free(shell);
	free(linux_fb);
	free(linux_vga);
	free(small);
	return (0);
}
