/*
 * libFuzzer target for the configuration loader: the input becomes a file
 * in a private temporary directory, which conf_load_dir loads; then
 * conf_ini_set edits the file in place (set iso_path, remove it again).
 *
 * The first byte chooses the file: even, fuzz.ini (a VM); odd,
 * anlasser.conf next to a valid VM file.  Invariants checked: a directory
 * that loaded keeps loading after iso_path was set, with exactly the value
 * that was set, and after it was removed, with none.
 */
#include "config.h"

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define FUZZ_ISO	"/iso/fuzz image.iso"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	dir[64];

static void
fuzz_cleanup(void)
{
	char	path[128];

	snprintf(path, sizeof path, "%s/fuzz.ini", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/anlasser.conf", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/other.ini", dir);
	unlink(path);
	rmdir(dir);
}

static void
fuzz_write(const char *path, const void *data, size_t size)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL ||
	    fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* Load the directory: the conf, or NULL after problems were reported. */
static struct conf *
fuzz_load(void)
{
	struct conf_problems	 problems;
	struct conf_problem	*p;
	struct conf		*conf;
	char			*s;

	conf_problems_init(&problems);
	conf = conf_load_dir(dir, &problems);
	TAILQ_FOREACH(p, &problems, entry) {
		/* Every problem must format into a message. */
		s = conf_problem_format(p);
		if (s == NULL || *s == '\0')
			abort();
		free(s);
	}
	if (conf == NULL && conf_problems_count(&problems) == 0)
		abort();	/* refused without saying why */
	conf_problems_clear(&problems);
	return (conf);
}

static const char *
fuzz_iso(struct conf *conf, const char *name)
{
	struct vm_conf	*vm;

	if ((vm = vm_conf_find(conf, name)) == NULL)
		abort();	/* the VM vanished after an edit */
	return (vm->iso_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 other[] = "[VM]\nname = other\n"
	    "storage_path = /vm/other.img\n"
	    "uefi_vars_storage_path = /vm/other.fd\n";
	struct conf		*conf;
	struct vm_conf		*vm;
	char			 path[128], *name = NULL, *cause = NULL;
	const char		*iso;
	int			 agentfile;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof dir, "%s/fuzz-conf.XXXXXX",
		    getenv("TMPDIR") != NULL && strlen(getenv("TMPDIR")) < 40 ?
		    getenv("TMPDIR") : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			abort();
		}
		atexit(fuzz_cleanup);
	}
	if (size == 0)
		return (0);
	agentfile = data[0] & 1;
	data++;
	size--;

	snprintf(path, sizeof path, "%s/other.ini", dir);
	if (agentfile)
		fuzz_write(path, other, sizeof other - 1);
	else
		unlink(path);
	snprintf(path, sizeof path, "%s/anlasser.conf", dir);
	if (!agentfile)
		unlink(path);
	else
		fuzz_write(path, data, size);
	snprintf(path, sizeof path, "%s/fuzz.ini", dir);
	if (agentfile)
		unlink(path);
	else
		fuzz_write(path, data, size);

	if ((conf = fuzz_load()) == NULL) {
		/* Edits of a broken file must fail cleanly or succeed. */
		if (!agentfile && conf_ini_set(path, "iso_path", FUZZ_ISO,
		    &cause) == -1)
			free(cause);
		return (0);
	}
	vm = TAILQ_FIRST(&conf->vms);
	if (vm == NULL || TAILQ_NEXT(vm, entry) != NULL)
		abort();	/* exactly the one VM file */
	name = strdup(vm->name);
	if (agentfile)
		snprintf(path, sizeof path, "%s", vm->file);
	conf_free(conf);

	if (conf_ini_set(path, "iso_path", FUZZ_ISO, &cause) == -1) {
		free(cause);
		free(name);
		return (0);
	}
	if ((conf = fuzz_load()) == NULL)
		abort();	/* setting iso_path broke a good file */
	if ((iso = fuzz_iso(conf, name)) == NULL ||
	    strcmp(iso, FUZZ_ISO) != 0)
		abort();	/* ... or did not set it */
	conf_free(conf);

	if (conf_ini_set(path, "iso_path", NULL, &cause) == -1) {
		fprintf(stderr, "removing iso_path: %s\n", cause);
		abort();	/* we just set it, so it can be removed */
	}
	if ((conf = fuzz_load()) == NULL)
		abort();
	if (fuzz_iso(conf, name) != NULL)
		abort();	/* removing left a value behind */
	conf_free(conf);
	free(name);
	return (0);
}
