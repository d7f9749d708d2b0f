/* The help screen: made from the key table of the view it was opened on. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui.h"

static int
help_rows(void)
{
	return (LINES - 4 > 0 ? LINES - 4 : 0);
}

static void
help_scroll(struct screen *s, int delta)
{
	s->help_scroll += delta;
	if (s->help_scroll > s->help_rows - help_rows())
		s->help_scroll = s->help_rows - help_rows();
	if (s->help_scroll < 0)
		s->help_scroll = 0;
}

void
help_close(struct screen *s)
{
	screen_pop(s);
}

void
help_up(struct screen *s)
{
	help_scroll(s, -1);
}

void
help_down(struct screen *s)
{
	help_scroll(s, 1);
}

void
help_page_up(struct screen *s)
{
	help_scroll(s, -help_rows());
}

void
help_page_down(struct screen *s)
{
	help_scroll(s, help_rows());
}

/* One line of the help at row (relative), if it is in view. */
static void
help_line(struct screen *s, int row, const char *key, const char *text,
    int attr)
{
	int	y = 2 + row - s->help_scroll;

	if (y < 2 || y >= LINES - 2)
		return;
	if (key != NULL) {
		draw_text(y, 2, 12, key, A_BOLD);
		draw_text(y, 15, COLS - 15, text, attr);
	} else
		draw_text(y, 1, COLS - 1, text, attr);
}

void
view_help_draw(struct screen *s)
{
	const struct view	*v = s->help_of != NULL ? s->help_of :
				    &view_list;
	char			 buf[128];
	size_t			 i;
	int			 row = 0;

	snprintf(buf, sizeof buf, "Help: keys in the %s", v->name);
	draw_title(s, buf);
	for (i = 0; i < v->nkeys; i++)
		help_line(s, row++, v->keys[i].label, v->keys[i].help,
		    A_NORMAL);
	row++;
	help_line(s, row++, NULL, "The list changes as the agent reports; "
	    "uptimes count on by themselves.", A_NORMAL);
	help_line(s, row++, NULL, "In the console, ~. at the start of a "
	    "line detaches and ~~ sends a ~.", A_NORMAL);
	help_line(s, row++, NULL, "Colours: green running, yellow starting "
	    "or stopping, red failed (NO_COLOR turns them off).", A_NORMAL);
	s->help_rows = row;
}
