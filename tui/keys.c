/*
 * The full screen's keys: one table per view (key, label, footer word,
 * help, action).  The footer and the help screen are made from these
 * tables, and tests/unit/test-tui checks that anlasser-tui.1 lists
 * every key and that no view binds a key twice.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "tui.h"

/* The VM actions, the same in the list and the details. */
#define VM_ACTION_KEYS							\
	{ 's', "s", "Start", 0, "start the VM", action_start },	\
	{ 't', "t", "Stop", 0, "stop the VM gracefully (ACPI shutdown, " \
	  "powered off after its timeout); asks first", action_stop },	\
	{ 'p', "p", "Off", 0, "power the VM off at once; asks first",	\
	  action_poweroff },						\
	{ 'x', "x", "Reset", 0, "hard-reset the VM; asks first",	\
	  action_reset },						\
	{ 'r', "r", "Restart", 0, "shut the VM down and start it again", \
	  action_restart },						\
	{ 'i', "i", "ISO", 0, "attach an ISO image (choose from the "	\
	  "agent's ISO directories)", action_attach_iso },		\
	{ 'e', "e", "Eject", 0, "detach the ISO image", action_detach_iso }, \
	{ 'c', "c", "Console", 0, "connect to the serial console (~. "	\
	  "detaches)", action_console }

static const struct key_binding list_keys[] = {
	VM_ACTION_KEYS,
	{ KEYC_ENTER, "Enter", "Details", 0, "show the VM's details",
	  list_details },
	{ '/', "/", "Filter", 0, "show only VMs whose name, state or ISO "
	  "matches", list_filter },
	{ 'o', "o", "Sort", 0, "sort by the next column", list_sort },
	{ 'O', "O", NULL, 0, "reverse the sort order", list_reverse },
	{ 'R', "R", NULL, 0, "ask the agent to re-read its configuration",
	  action_reload },
	{ 'n', "n", "New", 0, "create a VM: disk, UEFI vars and "
	  "configuration file (a form)", create_open },
	{ 'D', "D", NULL, 0, "delete the VM's configuration file (its disks "
	  "are kept); asks first", action_delete },
	{ 'v', "v", "Screen", 0, "show the VM's screen (VNC)", preview_open },
	{ KEYC_FN(KEY_UP), "Up", NULL, 0, "select the previous VM",
	  list_up },
	{ 'k', "k", NULL, 0, "select the previous VM", list_up },
	{ KEYC_FN(KEY_DOWN), "Down", NULL, 0, "select the next VM",
	  list_down },
	{ 'j', "j", NULL, 0, "select the next VM", list_down },
	{ KEYC_FN(KEY_PPAGE), "PgUp", NULL, 0, "one page up", list_page_up },
	{ KEYC_FN(KEY_NPAGE), "PgDn", NULL, 0, "one page down",
	  list_page_down },
	{ KEYC_FN(KEY_HOME), "Home", NULL, 0, "select the first VM",
	  list_home },
	{ KEYC_FN(KEY_END), "End", NULL, 0, "select the last VM", list_end },
	{ KEYC_CTRL('L'), "^L", NULL, 0, "redraw the screen", screen_redraw },
	{ '?', "?", "Help", KEY_F_PIN, "show this help", screen_help },
	{ KEYC_FN(KEY_F(1)), "F1", NULL, 0, "show this help", screen_help },
	{ 'q', "q", "Quit", KEY_F_PIN, "quit", screen_quit },
	{ KEYC_CTRL('C'), "^C", NULL, 0, "quit", screen_quit },
};

static const struct key_binding detail_keys[] = {
	{ KEYC_ESC, "Esc", "Back", 0, "back to the VM list", detail_close },
	{ 'q', "q", NULL, 0, "back to the VM list", detail_close },
	{ KEYC_FN(KEY_LEFT), "Left", NULL, 0, "back to the VM list",
	  detail_close },
	VM_ACTION_KEYS,
	{ 'u', "u", "Update", 0, "fetch the command line and the console "
	  "log again", detail_refresh },
	{ KEYC_FN(KEY_UP), "Up", NULL, 0, "scroll up", detail_up },
	{ KEYC_FN(KEY_DOWN), "Down", NULL, 0, "scroll down", detail_down },
	{ KEYC_FN(KEY_PPAGE), "PgUp", NULL, 0, "one page up",
	  detail_page_up },
	{ KEYC_FN(KEY_NPAGE), "PgDn", NULL, 0, "one page down",
	  detail_page_down },
	{ KEYC_CTRL('L'), "^L", NULL, 0, "redraw the screen", screen_redraw },
	{ '?', "?", "Help", KEY_F_PIN, "show this help", screen_help },
	{ KEYC_FN(KEY_F(1)), "F1", NULL, 0, "show this help", screen_help },
	{ KEYC_CTRL('C'), "^C", NULL, 0, "quit", screen_quit },
};

static const struct key_binding help_keys[] = {
	{ KEYC_ESC, "Esc", "Back", KEY_F_PIN, "close the help", help_close },
	{ 'q', "q", NULL, 0, "close the help", help_close },
	{ '?', "?", NULL, 0, "close the help", help_close },
	{ KEYC_FN(KEY_UP), "Up", NULL, 0, "scroll up", help_up },
	{ KEYC_FN(KEY_DOWN), "Down", NULL, 0, "scroll down", help_down },
	{ KEYC_FN(KEY_PPAGE), "PgUp", NULL, 0, "one page up", help_page_up },
	{ KEYC_FN(KEY_NPAGE), "PgDn", NULL, 0, "one page down",
	  help_page_down },
	{ KEYC_CTRL('C'), "^C", NULL, 0, "quit", screen_quit },
};

static const struct key_binding confirm_keys[] = {
	{ 'y', "y", "Yes", 0, "do it", confirm_yes },
	{ 'n', "n", "No", 0, "do not do it", confirm_no },
	{ KEYC_ESC, "Esc", NULL, 0, "do not do it", confirm_no },
	{ KEYC_CTRL('C'), "^C", NULL, 0, "do not do it", confirm_no },
};

static const struct key_binding filter_keys[] = {
	{ KEYC_ENTER, "Enter", "Keep", 0, "keep the filter", filter_accept },
	{ KEYC_ESC, "Esc", "Clear", 0, "clear the filter", filter_cancel },
	{ KEYC_BSPACE, "Backspace", NULL, 0, "delete the last character",
	  filter_backspace },
	{ KEYC_CTRL('C'), "^C", NULL, 0, "clear the filter", filter_cancel },
};

static const struct key_binding iso_keys[] = {
	{ KEYC_ENTER, "Enter", "Attach", 0, "attach the chosen ISO image",
	  iso_choose },
	{ KEYC_TAB, "Tab", "Boot", 0, "boot from it next time (on or off)",
	  iso_toggle_boot },
	{ KEYC_ESC, "Esc", "Cancel", 0, "close without attaching",
	  iso_cancel },
	{ KEYC_FN(KEY_UP), "Up", NULL, 0, "previous image", iso_up },
	{ KEYC_FN(KEY_DOWN), "Down", NULL, 0, "next image", iso_down },
	{ KEYC_BSPACE, "Backspace", NULL, 0, "delete the last filter "
	  "character", iso_backspace },
	{ KEYC_CTRL('C'), "^C", NULL, 0, "close without attaching",
	  iso_cancel },
};

static const struct key_binding create_keys[] = {
	{ KEYC_ENTER, "Enter", "Create", 0, "create the VM", create_submit },
	{ KEYC_TAB, "Tab", "Next", 0, "next field", create_next },
	{ KEYC_FN(KEY_DOWN), "Down", NULL, 0, "next field", create_next },
	{ KEYC_FN(KEY_UP), "Up", NULL, 0, "previous field", create_prev },
	{ KEYC_FN(KEY_BTAB), "BackTab", NULL, 0, "previous field",
	  create_prev },
	{ KEYC_BSPACE, "Backspace", NULL, 0, "delete the last character",
	  create_backspace },
	{ KEYC_ESC, "Esc", "Cancel", 0, "close the form (what was typed is "
	  "kept)", create_cancel },
	{ KEYC_CTRL('C'), "^C", NULL, 0, "close the form", create_cancel },
};

const struct view view_list = {
	"VM list", list_keys, nitems(list_keys), view_list_draw, NULL, 0
};
const struct view view_detail = {
	"VM details", detail_keys, nitems(detail_keys), view_detail_draw,
	NULL, 0
};
const struct view view_help = {
	"Help", help_keys, nitems(help_keys), view_help_draw, NULL, 0
};
const struct view view_confirm = {
	"Confirmation", confirm_keys, nitems(confirm_keys),
	view_confirm_draw, NULL, 1
};
const struct view view_filter = {
	"Filter", filter_keys, nitems(filter_keys), view_filter_draw,
	filter_text, 1
};
const struct view view_iso = {
	"ISO chooser", iso_keys, nitems(iso_keys), view_iso_draw, iso_text, 1
};
const struct view view_create = {
	"New VM", create_keys, nitems(create_keys), view_create_draw,
	create_text, 1
};

static const struct key_binding preview_keys[] = {
	{ 'i', "i", "Input", 0, "input mode: every key goes to the VM until "
	  "Ctrl-]", preview_input },
	{ KEYC_FN(KEY_DC), "Del", "Ctrl-Alt-Del", 0, "send Ctrl-Alt-Del to "
	  "the VM", preview_cad },
	{ 'p', "p", "Pixels", 0, "switch between the text and the pixel "
	  "view", preview_toggle },
	{ KEYC_CTRL('L'), "^L", NULL, 0, "redraw the screen", screen_redraw },
	{ '?', "?", "Help", KEY_F_PIN, "show this help", screen_help },
	{ KEYC_ESC, "Esc", "Back", KEY_F_PIN, "back to the list",
	  preview_close },
	{ 'q', "q", NULL, 0, "back to the list", preview_close },
};

const struct view view_preview = {
	"VM screen", preview_keys, nitems(preview_keys), view_preview_draw,
	NULL, 0
};

const struct view *const views_all[] = {
	&view_list, &view_detail, &view_help, &view_confirm, &view_filter,
	&view_iso, &view_create, &view_preview
};
const size_t views_nall = nitems(views_all);

const struct key_binding *
key_find(const struct view *v, int key)
{
	size_t	i;

	for (i = 0; i < v->nkeys; i++) {
		if (v->keys[i].key == key)
			return (&v->keys[i]);
	}
	return (NULL);
}

const char *
key_name(int key)
{
	static char	buf[32];
	size_t		i, j;

	for (i = 0; i < views_nall; i++) {
		for (j = 0; j < views_all[i]->nkeys; j++) {
			if (views_all[i]->keys[j].key == key)
				return (views_all[i]->keys[j].label);
		}
	}
	if (key < 0x20)
		snprintf(buf, sizeof buf, "^%c", key + '@');
	else if (key < 0x7f)
		snprintf(buf, sizeof buf, "%c", key);
	else
		snprintf(buf, sizeof buf, "#%x", key);
	return (buf);
}
