/*
 * The VM screen over VNC without a VM: text recognition on frames
 * captured from QEMU (tests/unit/frames/NAME.ppm.gz, with NAME.txt the
 * text as a person reads it), PSF fonts, send-keys words to key events,
 * and what a dead or busy VNC server does to a connection.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rfb/keysym.h>

#include "compat.h"
#include "util.h"
#include "xmalloc.h"
#include "glyph.h"
#include "vnc.h"
#include "tap.h"

static char *
data_path(const char *name)
{
	const char	*top = getenv("top_srcdir");
	char		*p;

	xasprintf(&p, "%s/tests/unit/frames/%s", top != NULL ? top : ".",
	    name);
	return (p);
}

/* A binary PPM (P6, maxval 255), gzipped: pixels 0x00RRGGBB. */
static uint32_t *
ppm_load(const char *name, int *w, int *h)
{
	char		*path, *cmd;
	FILE		*fp;
	uint32_t	*px;
	unsigned char	 rgb[3];
	int		 maxv;
	size_t		 i;

	path = data_path(name);
	xasprintf(&cmd, "gzip -dc '%s'", path);
	free(path);
	fp = popen(cmd, "r");
	free(cmd);
	if (fp == NULL)
		return (NULL);
	if (fscanf(fp, "P6 %d %d %d", w, h, &maxv) != 3 || maxv != 255 ||
	    fgetc(fp) == EOF || *w <= 0 || *h <= 0) {
		pclose(fp);
		return (NULL);
	}
	px = xcalloc((size_t)*w * *h, sizeof *px);
	for (i = 0; i < (size_t)*w * *h; i++) {
		if (fread(rgb, 1, 3, fp) != 3) {
			free(px);
			pclose(fp);
			return (NULL);
		}
		px[i] = (uint32_t)rgb[0] << 16 | rgb[1] << 8 | rgb[2];
	}
	pclose(fp);
	return (px);
}

/* The expected text: one line per row (trailing blanks cut). */
static char **
text_load(const char *name, int *n)
{
	char	*path, *line = NULL, **lines = NULL;
	size_t	 cap = 0;
	ssize_t	 len;
	FILE	*fp;

	*n = 0;
	path = data_path(name);
	fp = fopen(path, "r");
	free(path);
	if (fp == NULL)
		return (NULL);
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		lines = xreallocarray(lines, *n + 1, sizeof *lines);
		lines[(*n)++] = xstrdup(line);
	}
	free(line);
	fclose(fp);
	return (lines);
}

/* Count the UTF-8 characters that are not blank. */
static int
nonblank_chars(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		if ((*s & 0xc0) != 0x80 && *s != ' ')
			n++;
	return (n);
}

static void
test_frame(struct glyph_set *gs, const char *base, const char *font,
    int cursor_row, int cursor_col)
{
	struct glyph_screen	 s;
	struct glyph_frame	 fr;
	uint32_t		*px;
	char			*ppm, *txt, **want, *got;
	int			 w, h, n, r, bad = 0, cells = 0;

	xasprintf(&ppm, "%s.ppm.gz", base);
	xasprintf(&txt, "%s.txt", base);
	px = ppm_load(ppm, &w, &h);
	want = text_load(txt, &n);
	ok(px != NULL && want != NULL, "%s: frame and text load", base);
	if (px == NULL || want == NULL)
		goto out;
	fr.px = px;
	fr.width = w;
	fr.height = h;
	memset(&s, 0, sizeof s);
	is_int(glyph_read(gs, &fr, &s), 0, "%s: a grid fits", base);
	is_str(s.font, font, "%s: font", base);
	is_int(s.rows, n, "%s: one line per row", base);
	for (r = 0; r < s.rows && r < n; r++) {
		got = glyph_row_text(&s, r);
		cells += nonblank_chars(want[r]);
		if (strcmp(got, want[r]) != 0) {
			printf("# row %d:\n#  got '%s'\n# want '%s'\n", r, got,
			    want[r]);
			bad++;
		}
		free(got);
	}
	ok(bad == 0 && cells > 100, "%s: all %d non-blank cells right",
	    base, cells);
	is_int(s.unknown, 0, "%s: no cell unrecognised", base);
	ok(s.text, "%s: the screen is text", base);
	if (cursor_row >= 0) {
		is_int(s.cursor_row, cursor_row, "%s: cursor row", base);
		is_int(s.cursor_col, cursor_col, "%s: cursor column", base);
	}
	glyph_screen_free(&s);
out:
	for (r = 0; r < n; r++)
		free(want[r]);
	free(want);
	free(px);
	free(ppm);
	free(txt);
}

/* A frame that is no text: noise is reported as such, not as letters. */
static void
test_noise(struct glyph_set *gs)
{
	struct glyph_screen	 s;
	struct glyph_frame	 fr;
	uint32_t		*px, v = 12345;
	size_t			 i;

	px = xcalloc(640 * 480, sizeof *px);
	for (i = 0; i < 640 * 480; i++) {
		v = v * 1103515245 + 12345;
		px[i] = (v >> 8) & 0xffffff;
	}
	fr.px = px;
	fr.width = 640;
	fr.height = 480;
	memset(&s, 0, sizeof s);
	glyph_read(gs, &fr, &s);
	ok(!s.text && s.unknown > s.nonblank / 2,
	    "random pixels: not text (%d of %d unrecognised)", s.unknown,
	    s.nonblank);
	glyph_screen_free(&s);
	free(px);
}

/* Write the built-in VGA font as a PSF file and read it back. */
static void
test_psf(void)
{
	const struct glyph_font_data	*d = &glyph_data_vga_8x16;
	struct glyph_font		*f;
	char				 path[] = "/tmp/test-vnc.XXXXXX";
	unsigned char			 hdr2[32] = { 0x72, 0xb5, 0x4a, 0x86 };
	uint32_t			 rows[16];
	char				*cause = NULL, u[8];
	size_t				 i;
	int				 fd, y, len;
	FILE				*fp;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		ok(0, "temporary file");
		return;
	}
	/* PSF2: header, glyphs, UTF-8 table (one code point each). */
	hdr2[8] = 32;			/* header size */
	hdr2[12] = 1;			/* has a Unicode table */
	hdr2[16] = d->n & 0xff;
	hdr2[17] = d->n >> 8;
	hdr2[20] = 16;			/* bytes per glyph */
	hdr2[24] = 16;			/* height */
	hdr2[28] = 8;			/* width */
	fwrite(hdr2, 1, sizeof hdr2, fp);
	fwrite(d->bits, 1, d->n * 16, fp);
	for (i = 0; i < d->n; i++) {
		len = glyph_utf8(d->cps[i], u);
		fwrite(u, 1, len, fp);
		fputc(0xff, fp);
	}
	fclose(fp);
	f = glyph_font_load(path, &cause);
	ok(f != NULL, "a PSF2 font loads%s%s", cause != NULL ? ": " : "",
	    cause != NULL ? cause : "");
	free(cause);
	if (f != NULL) {
		for (i = 0; i < d->n && d->cps[i] != 'A'; i++)
			;
		for (y = 0; y < 16; y++)
			rows[y] = d->bits[i * 16 + y];
		is_int(glyph_font_lookup(f, rows), 'A', "PSF2: A is A");
		for (i = 0; i < d->n && d->cps[i] != 0x2502; i++)
			;
		for (y = 0; y < 16; y++)
			rows[y] = d->bits[i * 16 + y];
		is_int(glyph_font_lookup(f, rows), 0x2502,
		    "PSF2: box drawing from the Unicode table");
		glyph_font_free(f);
	}
	/* PSF1 without a table: glyph i is code point i. */
	fp = fopen(path, "w");
	fputc(0x36, fp);
	fputc(0x04, fp);
	fputc(0, fp);
	fputc(16, fp);
	for (i = 0; i < 256; i++)
		for (y = 0; y < 16; y++)
			fputc(i == 'B' ? d->bits[('B' - 0x20 + 0x1f) * 16 + y] :
			    (int)(i & 0xff) ^ y, fp);
	fclose(fp);
	f = glyph_font_load(path, &cause);
	ok(f != NULL, "a PSF1 font loads");
	if (f != NULL) {
		for (y = 0; y < 16; y++)
			rows[y] = d->bits[('B' - 0x20 + 0x1f) * 16 + y];
		is_int(glyph_font_lookup(f, rows), 'B', "PSF1: B is B");
		glyph_font_free(f);
	}
	fp = fopen(path, "w");
	fputs("not a font", fp);
	fclose(fp);
	cause = NULL;
	ok(glyph_font_load(path, &cause) == NULL && cause != NULL &&
	    strstr(cause, "not a PSF font") != NULL,
	    "a file that is no font is refused");
	free(cause);
	unlink(path);
}

/* The events for a word as "d:keysym u:keysym ...". */
static char *
keys(const char *word)
{
	struct vnc_keyev	*ev = NULL;
	size_t			 n = 0, i;
	char			*s, *t, *cause = NULL;

	if (vnc_keys_parse(word, &ev, &n, &cause) == -1) {
		free(ev);
		return (cause);
	}
	s = xstrdup("");
	for (i = 0; i < n; i++) {
		xasprintf(&t, "%s%s%c:%x", s, i > 0 ? " " : "",
		    ev[i].down ? 'd' : 'u', ev[i].keysym);
		free(s);
		s = t;
	}
	free(ev);
	return (s);
}

static void
test_keys(void)
{
	static const struct {
		const char	*word;
		const char	*want;
	} cases[] = {
		{ "a", "d:61 u:61" },
		{ "A", "d:ffe1 d:41 u:41 u:ffe1" },
		{ "!", "d:ffe1 d:21 u:21 u:ffe1" },
		{ "Enter", "d:ff0d u:ff0d" },
		{ "\\Enter", "d:ffe1 d:45 u:45 u:ffe1 d:6e u:6e d:74 u:74 "
		    "d:65 u:65 d:72 u:72" },
		{ "F12", "d:ffc9 u:ffc9" },
		{ "Ctrl-Alt-Del", "d:ffe3 d:ffe9 d:ffff u:ffff u:ffe9 u:ffe3" },
		{ "Ctrl-C", "d:ffe3 d:63 u:63 u:ffe3" },
		{ "Shift-Tab", "d:ffe1 d:ff09 u:ff09 u:ffe1" },
		{ "PageDown", "d:ff56 u:ff56" },
		{ "Ctrl-", "d:ffe1 d:43 u:43 u:ffe1 d:74 u:74 d:72 u:72 "
		    "d:6c u:6c d:2d u:2d" },
		{ "caf\xc3\xa9", "caf\xc3\xa9: cannot type character 0xc3 "
		    "(ASCII only)" },
	};
	size_t	i;
	char	*got;

	for (i = 0; i < nitems(cases); i++) {
		got = keys(cases[i].word);
		is_str(got, cases[i].want, "send-keys word '%s'",
		    cases[i].word);
		free(got);
	}
	ok(vnc_key_nnames >= 28, "key names listed");
}

static int
never(struct vnc *v, void *arg)
{
	(void)v;
	(void)arg;
	return (0);
}

/*
 * A listener that never accepts stands for bhyve with a viewer
 * connected: the connect succeeds (backlog), the greeting never comes.
 */
static void
test_busy(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	struct vnc		*v;
	char			*cause = NULL;
	double			 t0;
	int			 fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, 1) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		ok(0, "a listening socket");
		return;
	}
	port = ntohs(sin.sin_port);
	vnc_log_init();
	t0 = mono_now();
	v = vnc_new("127.0.0.1", port, NULL);
	ok(vnc_wait(v, never, NULL, 10000, &cause) == -1 && vnc_busy(v),
	    "a server that accepts but does not greet is busy");
	ok(cause != NULL && strstr(cause, "in use by another VNC viewer") !=
	    NULL, "... and the message says so");
	ok(mono_now() - t0 < VNC_GREET_TIMEOUT / 1000.0 + 1,
	    "... within the greeting timeout");
	free(cause);
	vnc_free(v);
	close(fd);

	/* The port is closed now: refused, not busy, at once. */
	cause = NULL;
	t0 = mono_now();
	v = vnc_new("127.0.0.1", port, NULL);
	ok(vnc_wait(v, never, NULL, 10000, &cause) == -1 && !vnc_busy(v),
	    "a closed port fails, not busy");
	ok(cause != NULL && strstr(cause, "refused") != NULL,
	    "... connection refused");
	ok(mono_now() - t0 < 1, "... at once");
	free(cause);
	vnc_free(v);
}

int
main(void)
{
	struct glyph_set	*gs;

	gs = glyph_set_new();
	/* OVMF UEFI shell: ver, echo with shifted symbols, dmem; cursor. */
	test_frame(gs, "ovmf-shell", "edk2-8x19", 19, 7);
	/* The Linux guest's tty1 on the framebuffer console. */
	test_frame(gs, "linux-fbcon", "linux-8x16", -1, -1);
	/*
	 * The same guest booted by SeaBIOS (firmware = bios, guest.iso via
	 * isolinux): tty1 on the VGA text console, 720x400 = 80x25 cells of
	 * 9x16, cursor shown.  Captured with QMP screendump; the text is
	 * `fold -w 80 /dev/vcs1` on the serial console at the same moment,
	 * the cursor from /dev/vcsa1.
	 */
	test_frame(gs, "linux-vga", "vga-9x16", 24, 7);
	test_noise(gs);
	glyph_set_free(gs);
	test_psf();
	test_keys();
	test_busy();
	return (tap_done());
}
