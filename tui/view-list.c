/*
 * The VM list: one row per VM, the columns from one table (title, width,
 * how it grows, when it is dropped on narrow terminals, how it sorts).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "util.h"
#include "xmalloc.h"
#include "tui.h"

struct list_column {
	const char	*title;
	int		 width;		/* at least */
	int		 flex;		/* share of the room left */
	int		 drop;		/* highest dropped first */
	int		 right;		/* right-aligned */
	int		 sort;		/* enum model_sort, -1: none */
	void		(*cell)(const struct model_vm *, double, char *,
			    size_t);
};

static void
cell_name(const struct model_vm *vm, double now, char *buf, size_t len)
{
	snprintf(buf, len, "%s", vm->info.name);
}

static void
cell_state(const struct model_vm *vm, double now, char *buf, size_t len)
{
	snprintf(buf, len, "%s", proto_state_name(vm->info.state));
}

static void
cell_vcpus(const struct model_vm *vm, double now, char *buf, size_t len)
{
	snprintf(buf, len, "%d", vm->info.vcpus);
}

static void
cell_memory(const struct model_vm *vm, double now, char *buf, size_t len)
{
	format_memory(vm->info.memory_mb, buf, len);
}

static void
cell_vnc(const struct model_vm *vm, double now, char *buf, size_t len)
{
	format_vnc(&vm->info, buf, len);
}

static void
cell_uptime(const struct model_vm *vm, double now, char *buf, size_t len)
{
	format_uptime(model_uptime(vm, now), buf, len);
}

static void
cell_iso(const struct model_vm *vm, double now, char *buf, size_t len)
{
	snprintf(buf, len, "%s", format_iso(vm->info.iso));
}

static void
cell_exit(const struct model_vm *vm, double now, char *buf, size_t len)
{
	format_exit(&vm->info, buf, len);
}

#define COL_STATE	1

static const struct list_column list_columns[] = {
	{ "NAME", 10, 2, 0, 0, SORT_NAME, cell_name },
	{ "STATE", 9, 0, 0, 0, SORT_STATE, cell_state },
	{ "CPUS", 4, 0, 4, 1, SORT_VCPUS, cell_vcpus },
	{ "MEMORY", 6, 0, 3, 1, SORT_MEMORY, cell_memory },
	{ "VNC", 15, 0, 2, 0, -1, cell_vnc },
	{ "UPTIME", 9, 0, 1, 1, SORT_UPTIME, cell_uptime },
	{ "ISO", 8, 1, 5, 0, -1, cell_iso },
	{ "LAST EXIT", 12, 0, 6, 0, -1, cell_exit },
};
#define LIST_NCOLUMNS	nitems(list_columns)

/* Column widths for this terminal width; 0: column not shown. */
static void
list_layout(int cols, int *widths)
{
	size_t	i;
	int	total, flex, spare, drop, maxdrop, given;

	for (i = 0; i < LIST_NCOLUMNS; i++)
		widths[i] = list_columns[i].width;
	for (;;) {
		total = -1;
		for (i = 0; i < LIST_NCOLUMNS; i++) {
			if (widths[i] > 0)
				total += widths[i] + 1;
		}
		if (total <= cols)
			break;
		maxdrop = 0;
		drop = -1;
		for (i = 0; i < LIST_NCOLUMNS; i++) {
			if (widths[i] > 0 && list_columns[i].drop > maxdrop) {
				maxdrop = list_columns[i].drop;
				drop = i;
			}
		}
		if (drop == -1)
			break;
		widths[drop] = 0;
	}
	spare = cols - total;
	flex = 0;
	for (i = 0; i < LIST_NCOLUMNS; i++) {
		if (widths[i] > 0)
			flex += list_columns[i].flex;
	}
	if (spare <= 0 || flex == 0)
		return;
	given = 0;
	for (i = 0; i < LIST_NCOLUMNS; i++) {
		if (widths[i] == 0 || list_columns[i].flex == 0)
			continue;
		widths[i] += spare * list_columns[i].flex / flex;
		given += spare * list_columns[i].flex / flex;
	}
	widths[0] += spare - given;	/* the rounding: to the name */
}

static int
list_rows(void)
{
	return (LINES - 4 > 0 ? LINES - 4 : 0);
}

void
list_fix_selection(struct screen *s)
{
	struct model_vm	*vm;

	if (s->sel != NULL && model_index(&s->model, s->sel) != -1)
		return;
	free(s->sel);
	s->sel = NULL;
	if ((vm = model_shown(&s->model, 0)) != NULL)
		s->sel = xstrdup(vm->info.name);
}

static void
list_select(struct screen *s, long idx)
{
	struct model_vm	*vm;

	if (s->model.norder == 0)
		return;
	if (idx < 0)
		idx = 0;
	if ((size_t)idx >= s->model.norder)
		idx = s->model.norder - 1;
	vm = model_shown(&s->model, idx);
	free(s->sel);
	s->sel = xstrdup(vm->info.name);
}

static long
list_current(struct screen *s)
{
	return (s->sel != NULL ? model_index(&s->model, s->sel) : -1);
}

void
list_up(struct screen *s)
{
	list_select(s, list_current(s) - 1);
}

void
list_down(struct screen *s)
{
	list_select(s, list_current(s) + 1);
}

void
list_page_up(struct screen *s)
{
	list_select(s, list_current(s) - (list_rows() > 1 ?
	    list_rows() - 1 : 1));
}

void
list_page_down(struct screen *s)
{
	list_select(s, list_current(s) + (list_rows() > 1 ?
	    list_rows() - 1 : 1));
}

void
list_home(struct screen *s)
{
	list_select(s, 0);
}

void
list_end(struct screen *s)
{
	list_select(s, (long)s->model.norder - 1);
}

void
list_details(struct screen *s)
{
	if (s->sel == NULL) {
		screen_message(s, 1, "no VM selected");
		return;
	}
	detail_open(s, s->sel);
}

void
list_sort(struct screen *s)
{
	model_set_sort(&s->model, (s->model.sort + 1) % MODEL_NSORTS, 0);
	screen_message(s, 0, "sorted by %s", model_sorts[s->model.sort].name);
}

void
list_reverse(struct screen *s)
{
	model_set_sort(&s->model, s->model.sort, !s->model.reverse);
	screen_message(s, 0, "sorted by %s, %s",
	    model_sorts[s->model.sort].name,
	    s->model.reverse ? "reversed" : "in order");
}

void
list_filter(struct screen *s)
{
	strlcpy(s->input, s->model.filter != NULL ? s->model.filter : "",
	    sizeof s->input);
	screen_push(s, &view_filter);
}

static void
list_draw_header(struct screen *s, const int *widths)
{
	const struct list_column	*c;
	size_t				 i;
	int				 x = 0, attr;

	attr = A_BOLD | A_UNDERLINE;
	attron(attr);
	mvhline(1, 0, ' ', COLS);
	for (i = 0; i < LIST_NCOLUMNS; i++) {
		c = &list_columns[i];
		if (widths[i] == 0)
			continue;
		if (c->right)
			draw_text_right(1, x, widths[i], c->title, 0);
		else
			draw_text(1, x, widths[i], c->title, 0);
		if (c->sort == (int)s->model.sort) {
			/* Mark the sort column with an arrow by its title. */
			mvaddch(1, c->right ? x + widths[i] -
			    draw_width(c->title) - 1 : x + draw_width(c->title),
			    (s->model.reverse ? ACS_UARROW : ACS_DARROW) |
			    attr);
		}
		x += widths[i] + 1;
	}
	attroff(attr);
}

static void
list_draw_row(struct screen *s, int y, const struct model_vm *vm,
    const int *widths, int selected, double now)
{
	char	buf[256];
	size_t	i;
	int	x = 0, attr, base;

	base = selected ? A_REVERSE : A_NORMAL;
	if (!s->up)
		base |= A_DIM;
	move(y, 0);
	attron(base);
	hline(' ', COLS);
	for (i = 0; i < LIST_NCOLUMNS; i++) {
		if (widths[i] == 0)
			continue;
		list_columns[i].cell(vm, now, buf, sizeof buf);
		attr = base;
		if (i == COL_STATE)
			attr |= draw_state_attr(s, vm->info.state);
		if (list_columns[i].right)
			draw_text_right(y, x, widths[i], buf, attr);
		else
			draw_text(y, x, widths[i], buf, attr);
		x += widths[i] + 1;
	}
	attroff(base);
}

void
view_list_draw(struct screen *s)
{
	int		 widths[LIST_NCOLUMNS];
	const char	*what;
	char		 title[256];
	double		 now = mono_now();
	long		 idx;
	int		 rows = list_rows(), i;

	if (s->model.filter != NULL)
		snprintf(title, sizeof title, "VMs matching \"%s\"",
		    s->model.filter);
	else
		snprintf(title, sizeof title, "VMs");
	draw_title(s, title);
	list_layout(COLS, widths);
	list_draw_header(s, widths);

	if (s->model.norder == 0) {
		if (s->client == NULL || !s->up)
			what = "Not connected to the agent.";
		else if (s->model.filter != NULL)
			what = "No VM matches the filter (/ changes it).";
		else
			what = "No VMs are configured.";
		draw_text(3, 2, COLS - 2, what, A_NORMAL);
		return;
	}

	/* Keep the selected row in view. */
	idx = list_current(s);
	if (idx < 0)
		idx = 0;
	if ((size_t)idx < s->top)
		s->top = idx;
	if (rows > 0 && (size_t)idx >= s->top + rows)
		s->top = idx - rows + 1;
	if (s->top + rows > s->model.norder)
		s->top = s->model.norder > (size_t)rows ?
		    s->model.norder - rows : 0;

	for (i = 0; i < rows && s->top + i < s->model.norder; i++)
		list_draw_row(s, 2 + i, model_shown(&s->model, s->top + i),
		    widths, (long)(s->top + i) == idx, now);
}
