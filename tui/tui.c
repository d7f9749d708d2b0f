/*
 * anlasser-tui: the full-screen dashboard for the Anlasser agent, and
 * `--batch VERB` for scripts and Ansible.
 */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"
#include "tui.h"

static void
tui_help(void)
{
	char	*u;
	size_t	 i;

	batch_usage_all(stdout);
	printf("\nVerbs:\n");
	for (i = 0; i < batch_nverbs; i++) {
		u = batch_usage(&batch_verbs[i]);
		printf("  %-42s %s\n", u, batch_verbs[i].help);
		free(u);
	}
	printf("\nWithout --batch, the full-screen dashboard starts "
	    "(press ? there for its keys).\nThe console escape is %c. at "
	    "the start of a line.  See anlasser-tui(1).\n", CONSOLE_ESCAPE);
}

/* Is arg the option name, alone or as name=value?  Sets *value. */
static int
tui_opt(const char *arg, const char *name, const char **value)
{
	size_t	len = strlen(name);

	if (strncmp(arg, name, len) != 0)
		return (0);
	if (arg[len] == '\0') {
		*value = NULL;
		return (1);
	}
	if (arg[len] == '=') {
		*value = arg + len + 1;
		return (1);
	}
	return (0);
}

static int
tui_usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "%s: %s%s%s\n", TUI_NAME, msg, arg != NULL ? ": " :
	    "", arg != NULL ? arg : "");
	batch_usage_all(stderr);
	return (EXIT_USAGE);
}

int
main(int argc, char **argv)
{
	char		**rest;
	const char	 *value, *verb = NULL, *socket = NULL;
	int		  i, nrest = 0, json = 0, batch = 0, dashdash = 0;

	setlocale(LC_ALL, "");
	log_init(TUI_NAME, LOG_TO_STDERR, NULL, 0);
	signal(SIGPIPE, SIG_IGN);

	/* Global options anywhere; the rest belongs to the verb. */
	rest = xcalloc(argc + 1, sizeof *rest);
	for (i = 1; i < argc; i++) {
		if (dashdash) {
			rest[nrest++] = argv[i];
		} else if (strcmp(argv[i], "--") == 0) {
			rest[nrest++] = argv[i];
			dashdash = 1;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			tui_help();
			return (EXIT_OK);
		} else if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-V") == 0) {
			printf("%s %s (protocol %d)\n", TUI_NAME,
			    PACKAGE_VERSION, PROTO_VERSION);
			return (EXIT_OK);
		} else if (tui_opt(argv[i], "--socket", &value)) {
			if (value == NULL && (value = argv[++i]) == NULL)
				return (tui_usage_error("--socket needs a "
				    "path", NULL));
			if (*value == '\0')
				return (tui_usage_error("--socket needs a "
				    "path", NULL));
			socket = value;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (tui_opt(argv[i], "--batch", &value)) {
			if (batch)
				return (tui_usage_error("--batch given twice",
				    NULL));
			batch = 1;
			if (value == NULL && (value = argv[++i]) == NULL)
				return (tui_usage_error("--batch needs a verb",
				    NULL));
			verb = value;
		} else
			rest[nrest++] = argv[i];
	}

	if (!batch) {
		if (json)
			return (tui_usage_error("--json needs --batch", NULL));
		if (nrest > 0)
			return (tui_usage_error("unexpected argument",
			    rest[0]));
		return (screen_main(socket));
	}
	/* batch_main wants the verb first. */
	memmove(rest + 1, rest, nrest * sizeof *rest);
	rest[0] = (char *)verb;
	return (batch_main(socket, json, nrest + 1, rest));
}
