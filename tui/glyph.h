/*
 * Text recognition on a VM's screen: the framebuffer is cut into cells
 * of a font's size, each cell is reduced to two colours and its bitmap
 * looked up (exactly, by hash) in the font.  Fonts: compiled-in data
 * (tui/fonts/font-*.c, made by tui/fonts/extract-fonts.sh) and font files
 * loaded at run time: PSF (Linux, glyph-psf.c) and FreeBSD vt .fnt
 * (glyph-vtfont.c).  No curses, no VNC: the unit tests use it alone.
 */
#ifndef GLYPH_H
#define GLYPH_H

#include <stddef.h>
#include <stdint.h>

#define GLYPH_MAXW	32
#define GLYPH_MAXH	32
#define GLYPH_MINH	4	/* fewer rows hold no text (font files) */
#define GLYPH_UNKNOWN	0xfffd	/* what an unrecognised cell shows */

/* Compiled-in font data: n glyphs of height bytes (width <= 8, MSB left). */
struct glyph_font_data {
	const char		*name;
	int			 width;
	int			 height;
	size_t			 n;
	const unsigned int	*cps;		/* Unicode code points */
	const unsigned char	*bits;		/* n * height rows */
};

extern const struct glyph_font_data	glyph_data_edk2_8x19;
extern const struct glyph_font_data	glyph_data_vga_8x16;
extern const struct glyph_font_data	glyph_data_linux_8x16;

struct glyph_font;

/*
 * A font from compiled-in data, drawn in cells cellw pixels wide
 * (cellw > width: VGA text mode's 9th column, repeated for line art).
 */
struct glyph_font *glyph_font_new(const struct glyph_font_data *, int);
/*
 * A font file, its format known by its magic: PSF version 1 or 2 or a
 * FreeBSD vt font (VFNT0002, as vtfontcvt(8) writes it); gzipped when
 * built with zlib.  NULL and *cause (starting with the path) on error.
 */
struct glyph_font *glyph_font_load(const char *, char **);
/* The same on a file's bytes; the name is for messages (and the font). */
struct glyph_font *glyph_font_parse(const char *, const unsigned char *,
		     size_t, char **);
/* One format each (glyph-psf.c, glyph-vtfont.c), as glyph_font_parse. */
struct glyph_font *glyph_psf_parse(const char *, const unsigned char *,
		     size_t, char **);
struct glyph_font *glyph_vtfont_parse(const char *, const unsigned char *,
		     size_t, char **);
/* Rows of a glyph stored as (width + 7) / 8 bytes a row, MSB left. */
void		 glyph_bits_rows(const unsigned char *, int, int, uint32_t *);
/* The font name for a path: its last component. */
const char	*glyph_path_name(const char *);
/* A font from allocated code points and rows (taken over). */
struct glyph_font *glyph_font_make(const char *, int, int, size_t,
		     uint32_t *, uint32_t *);
void		 glyph_font_free(struct glyph_font *);
const char	*glyph_font_name(const struct glyph_font *);
/* The code point a bitmap (height rows, MSB-first) shows; 0: none. */
uint32_t	 glyph_font_lookup(const struct glyph_font *, const uint32_t *);

/* A frame: width * height pixels 0x00RRGGBB, rows one after the other. */
struct glyph_frame {
	const uint32_t	*px;
	int		 width;
	int		 height;
};

struct glyph_cell {
	uint32_t	 cp;		/* 0: not recognised */
	uint32_t	 fg;		/* 0xRRGGBB */
	uint32_t	 bg;
	int		 blank;		/* one colour only */
};

struct glyph_screen {
	const char		*font;		/* name of the font used */
	int			 cell_w, cell_h;
	int			 x0, y0;	/* grid origin in pixels */
	int			 cols, rows;
	int			 width, height;	/* of the frame */
	int			 text;		/* mostly recognised */
	int			 cursor_row;	/* -1: no cursor seen */
	int			 cursor_col;
	int			 nonblank;	/* cells with two colours */
	int			 unknown;	/* of those, not recognised */
	struct glyph_cell	*cells;		/* rows * cols */
	size_t			 size;		/* cells allocated */
};

struct glyph_set;

/* The built-in fonts; extra fonts (from files) are tried first. */
struct glyph_set *glyph_set_new(void);
void		 glyph_set_add(struct glyph_set *, struct glyph_font *);
void		 glyph_set_free(struct glyph_set *);
/*
 * Read a frame: pick the grid (from the mode: EDK2 8x19 centred, VGA
 * text 9x16, fbcon 8x16 at 0,0, extra fonts) that recognises most cells
 * and fill in the screen.  Returns 0, -1 when no grid fits the frame.
 */
int		 glyph_read(struct glyph_set *, const struct glyph_frame *,
		     struct glyph_screen *);
/* Recognise with one font and grid (cols/rows/x0/y0 from the screen). */
void		 glyph_read_grid(const struct glyph_font *,
		     const struct glyph_frame *, uint32_t,
		     struct glyph_screen *);
void		 glyph_screen_free(struct glyph_screen *);
/* One row as UTF-8, trailing blanks cut, unknown cells as U+FFFD (new). */
char		*glyph_row_text(const struct glyph_screen *, int);
/* UTF-8 of one code point into buf (at least 5 bytes); its length. */
int		 glyph_utf8(uint32_t, char *);

#endif
