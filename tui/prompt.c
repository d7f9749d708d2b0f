/*
 * Prompts on the message line: the confirmation before a disruptive
 * action, and the filter being typed.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "xmalloc.h"
#include "tui.h"

void
prompt_confirm(struct screen *s, enum proto_cmd cmd, const char *name,
    const char *what)
{
	if (name == NULL) {
		screen_message(s, 1, "no VM selected");
		return;
	}
	free(s->confirm_vm);
	free(s->confirm_text);
	s->confirm_cmd = cmd;
	s->confirm_vm = xstrdup(name);
	xasprintf(&s->confirm_text, "%s %s: %s? (y/n)", proto_cmds[cmd].name,
	    name, what);
	screen_push(s, &view_confirm);
}

static void
confirm_done(struct screen *s)
{
	free(s->confirm_vm);
	free(s->confirm_text);
	s->confirm_vm = s->confirm_text = NULL;
	screen_pop(s);
}

void
confirm_yes(struct screen *s)
{
	char	*name = s->confirm_vm;

	s->confirm_vm = NULL;
	confirm_done(s);
	action_vm(s, s->confirm_cmd, name, NULL);
	free(name);
}

void
confirm_no(struct screen *s)
{
	screen_message(s, 0, "%s %s: not done", proto_cmds[s->confirm_cmd].name,
	    s->confirm_vm);
	confirm_done(s);
}

void
view_confirm_draw(struct screen *s)
{
	int	attr;

	attr = s->colour ? COLOR_PAIR(COLOUR_ERROR) | A_BOLD : A_REVERSE;
	draw_text(LINES - 2, 0, COLS, s->confirm_text, attr);
}

/* ------------------------------------------------------------ text */

int
input_add(char *buf, size_t size, int key)
{
	char		mb[MB_LEN_MAX];
	mbstate_t	st;
	size_t		n, len = strlen(buf);

	memset(&st, 0, sizeof st);
	n = wcrtomb(mb, (wchar_t)key, &st);
	if (n == (size_t)-1 || len + n + 1 > size)
		return (-1);
	memcpy(buf + len, mb, n);
	buf[len + n] = '\0';
	return (0);
}

/* Remove the last (possibly multibyte) character. */
void
input_del(char *buf)
{
	size_t	len = strlen(buf);

	while (len > 0) {
		len--;
		/* Stop at a byte that starts a character. */
		if (((unsigned char)buf[len] & 0xc0) != 0x80)
			break;
	}
	buf[len] = '\0';
}

/* ------------------------------------------------------------ filter */

void
filter_text(struct screen *s, int key)
{
	if (input_add(s->input, sizeof s->input, key) == 0)
		model_set_filter(&s->model, s->input);
	list_fix_selection(s);
}

void
filter_backspace(struct screen *s)
{
	input_del(s->input);
	model_set_filter(&s->model, s->input);
	list_fix_selection(s);
}

void
filter_accept(struct screen *s)
{
	screen_pop(s);
}

void
filter_cancel(struct screen *s)
{
	s->input[0] = '\0';
	model_set_filter(&s->model, NULL);
	list_fix_selection(s);
	screen_pop(s);
}

void
view_filter_draw(struct screen *s)
{
	char	buf[SCREEN_INPUT_MAX + 32];
	int	w;

	snprintf(buf, sizeof buf, "Filter: %s", s->input);
	w = draw_text(LINES - 2, 0, COLS - 1, buf, A_BOLD);
	mvaddch(LINES - 2, w, ' ' | A_REVERSE);	/* the cursor */
}
