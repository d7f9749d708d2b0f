/*
 * Whole configuration directories: anlasser.conf and every *.ini, the
 * checks across VMs (a MAC, disk, UEFI vars file, VNC port or tap used
 * twice), and `anlasser-agent --check`.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "conf.h"
#include "conf-priv.h"
#include "log.h"
#include "xmalloc.h"

/* ------------------------------------------------------------------ */
/* Cross-VM checks.                                                    */

enum conf_cat { CAT_MAC, CAT_PATH, CAT_VNC, CAT_TAP };

struct conf_item {
	int		 cat;
	char		*norm;		/* compared */
	char		*key;		/* as the file spells it */
	const char	*value;
	int		 line;
	unsigned int	 file;		/* index in the file array */
};

static char *
conf_norm_path(const char *p)
{
	char	*s = xstrdup(p), *o = s;
	size_t	 len;

	for (; *p != '\0'; p++) {
		if (*p == '/' && o > s && o[-1] == '/')
			continue;
		if (*p == '.' && o > s && o[-1] == '/' &&
		    (p[1] == '/' || p[1] == '\0'))
			continue;
		*o++ = *p;
	}
	*o = '\0';
	len = strlen(s);
	while (len > 1 && s[len - 1] == '/')
		s[--len] = '\0';
	return (s);
}

static void
conf_item_add(struct conf_item **v, unsigned int *n, int cat,
    const char *value, struct conf_file *f, unsigned int fi,
    const char *fmt, int idx)
{
	struct conf_item	*it;
	char			*p;

	*v = conf_grow(*v, *n, sizeof **v);
	it = &(*v)[(*n)++];
	it->cat = cat;
	it->value = value;
	it->file = fi;
	if (cat == CAT_PATH)
		it->norm = conf_norm_path(value);
	else {
		it->norm = xstrdup(value);
		for (p = it->norm; *p != '\0'; p++)
			*p = tolower((unsigned char)*p);
	}
	it->key = xmalloc(64);
	it->line = conf_vm_keyline(&f->ini, fmt, idx, it->key, 64);
}

static int
conf_item_cmp(const void *a, const void *b)
{
	const struct conf_item	*x = a, *y = b;
	int			 r;

	if (x->cat != y->cat)
		return (x->cat - y->cat);
	if ((r = strcmp(x->norm, y->norm)) != 0)
		return (r);
	if (x->file != y->file)
		return (x->file < y->file ? -1 : 1);
	return (x->line - y->line);
}

static void
conf_vm_items(struct conf_file *f, unsigned int fi, struct conf_item **v,
    unsigned int *n, char *port)
{
	struct vm_conf	*vm = f->vm;
	int		 i;

	for (i = 0; i < VM_MAX_DISKS; i++) {
		if (vm->disks[i] != NULL)
			conf_item_add(v, n, CAT_PATH, vm->disks[i], f, fi,
			    i == 0 ? "storage_path" : "disk%d", i);
	}
	if (vm->uefi_vars != NULL)
		conf_item_add(v, n, CAT_PATH, vm->uefi_vars, f, fi,
		    "uefi_vars_storage_path", 0);
	for (i = 0; i < VM_MAX_NICS; i++) {
		if (vm->nics[i].mac != NULL)
			conf_item_add(v, n, CAT_MAC, vm->nics[i].mac, f, fi,
			    i == 0 ? "mac" : "nic%d_mac", i);
		if (vm->nics[i].tapdev != NULL)
			conf_item_add(v, n, CAT_TAP, vm->nics[i].tapdev, f, fi,
			    i == 0 ? "tapdev" : "nic%d_tapdev", i);
	}
	if (vm->vnc && vm->vnc_port > 0) {
		snprintf(port, 16, "%d", vm->vnc_port);
		conf_item_add(v, n, CAT_VNC, port, f, fi, "vnc_port", 0);
	}
}

/* Duplicate MACs, disk/vars paths, VNC ports and taps across files. */
static void
conf_cross_check(struct conf_file *files, unsigned int nfiles)
{
	struct conf_item	*v = NULL, *a, *b;
	unsigned int		 n = 0, i, j;
	char			(*ports)[16], *q, *name;

	ports = xcalloc(nfiles == 0 ? 1 : nfiles, sizeof *ports);
	for (i = 0; i < nfiles; i++) {
		if (files[i].vm != NULL)
			conf_vm_items(&files[i], i, &v, &n, ports[i]);
	}
	if (n > 1)
		qsort(v, n, sizeof *v, conf_item_cmp);
	for (i = 0; i < n; i = j) {
		a = &v[i];
		for (j = i + 1; j < n && v[j].cat == a->cat &&
		    strcmp(v[j].norm, a->norm) == 0; j++) {
			b = &v[j];
			if (files[a->file].vm->name != NULL)
				name = xstrdup(files[a->file].vm->name);
			else {
				name = xstrdup(files[a->file].base);
				name[strcspn(name, ".")] = '\0';
			}
			q = conf_ini_quote(b->value);
			conf_problem_add(&files[b->file].problems,
			    files[b->file].path, b->line, b->key,
			    "%s is also used by VM %s%s%s (%s:%d)", q, name,
			    strcmp(a->key, b->key) != 0 ? " as " : "",
			    strcmp(a->key, b->key) != 0 ? a->key : "",
			    files[a->file].base, a->line);
			free(q);
			free(name);
		}
	}
	for (i = 0; i < n; i++) {
		free(v[i].norm);
		free(v[i].key);
	}
	free(v);
	free(ports);
}

/* ------------------------------------------------------------------ */
/* Directories.                                                        */

static int
conf_name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* The *.ini names of dir, sorted; -1 with errno. */
static int
conf_list_dir(const char *dir, char ***namesp, unsigned int *np)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL;
	unsigned int	 n = 0;
	size_t		 len;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 4 ||
		    strcmp(de->d_name + len - 4, ".ini") != 0)
			continue;
		names = conf_grow(names, n, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, conf_name_cmp);
	*namesp = names;
	*np = n;
	return (0);
}

static char *
conf_join(const char *dir, const char *name)
{
	char	*s;
	size_t	 len = strlen(dir);

	xasprintf(&s, "%s%s%s", dir, len > 0 && dir[len - 1] == '/' ? "" :
	    "/", name);
	return (s);
}

static void
conf_load_agent_file(struct conf *conf, struct conf_file *f)
{
	struct stat	sb;

	f->path = conf_join(conf->dir, CONF_AGENT_FILE);
	f->base = CONF_AGENT_FILE;
	if (stat(f->path, &sb) == -1 && errno == ENOENT)
		return;		/* optional: all defaults */
	if (conf_ini_read(&f->ini, f->path, &f->problems) == 0)
		conf_agent_from_ini(&f->ini, &conf->agent, &f->problems);
}

/* Load one *.ini of a directory into f (vm kept even with problems). */
static void
conf_load_vm_file(struct conf_file *f, const char *dir, const char *name)
{
	f->path = conf_join(dir, name);
	f->base = f->path + strlen(f->path) - strlen(name);
	if (conf_ini_read(&f->ini, f->path, &f->problems) == -1)
		return;
	f->vm = conf_vm_from_ini(&f->ini, f->base, &f->problems);
}

static void
conf_file_clear(struct conf_file *f)
{
	conf_ini_clear(&f->ini);
	vm_conf_free(f->vm);
	conf_problems_clear(&f->problems);
	free(f->path);
}

struct conf *
conf_load_dir(const char *dir, struct conf_problems *problems)
{
	struct conf		*conf;
	struct conf_file	*files, agentf;
	char			**names = NULL;
	unsigned int		 n = 0, i;
	int			 bad = 0;

	conf = xcalloc(1, sizeof *conf);
	conf->dir = xstrdup(dir);
	TAILQ_INIT(&conf->vms);
	agent_conf_defaults(&conf->agent);
	if (conf_list_dir(dir, &names, &n) == -1) {
		conf_problem_add(problems, dir, 0, NULL, "cannot read the "
		    "configuration directory: %s", strerror(errno));
		conf_free(conf);
		return (NULL);
	}

	memset(&agentf, 0, sizeof agentf);
	TAILQ_INIT(&agentf.problems);
	conf_load_agent_file(conf, &agentf);

	files = xcalloc(n == 0 ? 1 : n, sizeof *files);
	for (i = 0; i < n; i++) {
		TAILQ_INIT(&files[i].problems);
		conf_load_vm_file(&files[i], dir, names[i]);
		free(names[i]);
	}
	free(names);
	conf_cross_check(files, n);

	bad = !TAILQ_EMPTY(&agentf.problems);
	conf_problems_move_sorted(problems, &agentf.problems);
	conf_file_clear(&agentf);
	for (i = 0; i < n; i++) {
		if (!TAILQ_EMPTY(&files[i].problems))
			bad = 1;
		conf_problems_move_sorted(problems, &files[i].problems);
	}
	for (i = 0; i < n; i++) {
		if (!bad && files[i].vm != NULL) {
			TAILQ_INSERT_TAIL(&conf->vms, files[i].vm, entry);
			conf->nvms++;
			files[i].vm = NULL;
		}
		conf_file_clear(&files[i]);
	}
	free(files);
	if (bad) {
		conf_free(conf);
		return (NULL);
	}
	return (conf);
}

struct vm_conf *
conf_load_vm(const char *path, const struct agent_conf *ac,
    struct conf_problems *problems)
{
	struct conf_file	f;
	const char		*slash;
	struct vm_conf		*vm;

	(void)ac;	/* nothing in a VM file depends on it yet */
	memset(&f, 0, sizeof f);
	TAILQ_INIT(&f.problems);
	f.path = xstrdup(path);
	slash = strrchr(path, '/');
	f.base = slash != NULL ? slash + 1 : path;
	if (conf_ini_read(&f.ini, f.path, &f.problems) == 0) {
		f.vm = conf_vm_from_ini(&f.ini, f.base, &f.problems);
		conf_cross_check(&f, 1);
	}
	vm = TAILQ_EMPTY(&f.problems) ? f.vm : NULL;
	if (vm != NULL)
		f.vm = NULL;
	conf_problems_move_sorted(problems, &f.problems);
	conf_file_clear(&f);
	return (vm);
}

void
conf_free(struct conf *conf)
{
	struct vm_conf	*vm;

	if (conf == NULL)
		return;
	while ((vm = TAILQ_FIRST(&conf->vms)) != NULL) {
		TAILQ_REMOVE(&conf->vms, vm, entry);
		vm_conf_free(vm);
	}
	agent_conf_clear(&conf->agent);
	free(conf->dir);
	free(conf);
}

int
conf_check(const char *dir, FILE *out)
{
	struct conf_problems	 problems;
	struct conf_problem	*p;
	struct conf		*conf;
	char			*s;

	conf_problems_init(&problems);
	if ((conf = conf_load_dir(dir, &problems)) != NULL) {
		fprintf(out, "%s: %d VM%s, no problems\n", dir, conf->nvms,
		    conf->nvms == 1 ? "" : "s");
		conf_free(conf);
		return (0);
	}
	TAILQ_FOREACH(p, &problems, entry) {
		s = conf_problem_format(p);
		fprintf(out, "%s\n", s);
		free(s);
	}
	conf_problems_clear(&problems);
	return (1);
}
