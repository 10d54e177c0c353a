package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Why the data folder is checked before anything is written to it: the app used to open
// whatever passkeys.db it found read-write, switch it to WAL, chmod it to 0600 and run
// its migrations. On a file that was not ours, was damaged, was read-only, was a link or
// came from a newer version of the app, that changed or broke the very thing the person
// needed to keep (a newer schema "migrated" backwards, a read-only backup made writable,
// the target of a link chmodded). So every check below only reads, and runs before the
// folder's lock file, the WAL, a chmod or a migration can touch anything.

// DataError says why the data folder or a file in it cannot be used. Nothing was changed.
// Msg is for the person who started the app (what happened and what to do); Code is stable,
// for scripts and support.
type DataError struct {
	Code string // see the Data... constants
	Path string // the file or folder, in full
	Msg  string
	// Page is Msg for the desktop app's window (backend.Starting answers it as 503
	// data_unusable): the same, without the command-line option, which someone who opened
	// the app from its icon cannot use.
	Page string
	Err  error // the cause, if any, for the log
}

func (e *DataError) Error() string { return e.Msg }

func (e *DataError) Unwrap() error { return e.Err }

// ErrorCode returns the stable code (the program prints it after the message).
func (e *DataError) ErrorCode() string { return e.Code }

// Stable codes of a refused data folder (docs/api.md lists them).
const (
	DataNotADatabase     = "data_not_a_database"      // not a SQLite file, or another program's database
	DataDamaged          = "data_damaged"             // a SQLite file that fails its integrity check
	DataReadOnly         = "data_read_only"           // a file we may not change
	DataIsALink          = "data_is_a_link"           // a symbolic link (never followed)
	DataIsAFolder        = "data_is_a_folder"         // a folder where the database file should be
	DataNewerVersion     = "data_newer_version"       // written by a version with migrations this build lacks
	DataNotReadable      = "data_not_readable"        // a file we may not open
	DataFolderReadOnly   = "data_folder_read_only"    // a folder we may not change (or create)
	DataFolderNotAFolder = "data_folder_not_a_folder" // the data folder's path is a file
	DataNotYours         = "data_not_yours"           // a file that belongs to another user account
	DataFolderNotYours   = "data_folder_not_yours"    // a folder that belongs to another user account
	DataDiskFull         = "data_disk_full"           // the disk the folder is on is full or cannot be written to
	DataStaleWAL         = "data_stale_wal"           // a -wal left from before the database was put back from a backup
)

// elsewhere is the advice that always works from the command line: leave the folder alone
// and use another one.
const elsewhere = ", or start the app with --data-dir to use a different folder."

func dataError(code, path string, cause error) *DataError {
	// what happened; what to do about it (before "or" another folder, or "then" open the
	// app again); anything to know after that.
	var what, fix, after string
	switch code {
	case DataNotADatabase:
		what, fix = "The file "+path+" is not an NHS login passkeys database. It has not been changed.", "Move it somewhere else"
	case DataDamaged:
		what, fix = "The file "+path+" is damaged, so NHS login passkeys cannot use it. It has not been changed.", "Put back a copy from a backup"
		after = " If you move it instead, everyone will need to set up their passkeys again."
	case DataReadOnly:
		what, fix = "The file "+path+" is read-only, so NHS login passkeys cannot save changes to it. It has not been changed.", "Allow changes to the file"
	case DataIsALink:
		what = "The file " + path + " is a link to another file. NHS login passkeys does not follow links, so that it never changes a file somewhere else. Nothing has been changed."
		fix = "Put the file itself in the folder"
	case DataIsAFolder:
		what, fix = path+" is a folder, not an NHS login passkeys database. It has not been changed.", "Move it somewhere else"
	case DataNewerVersion:
		// The one with no other folder to offer: the file is the person's, and a newer app
		// can open it.
		msg := "The file " + path + " was saved by a newer version of NHS login passkeys. It has not been changed. " +
			"Install the newest version of the app, then open it again."
		return &DataError{Code: code, Path: path, Msg: msg, Page: msg, Err: cause}
	case DataNotReadable:
		what, fix = "NHS login passkeys is not allowed to open the file "+path+". It has not been changed.", "Allow your user account to read and change the file"
	case DataFolderReadOnly:
		what = "The folder " + path + " cannot be changed, so NHS login passkeys cannot save anything in it. Nothing has been changed."
		fix = "Allow changes to the folder"
	case DataNotYours:
		what = "The file " + path + " belongs to another user account on this computer, so NHS login passkeys will not use it. It has not been changed."
		fix = "Log in as the user account it belongs to"
	case DataFolderNotYours:
		what = "The folder " + path + " belongs to another user account on this computer, so NHS login passkeys will not keep its data there. Nothing has been changed."
		fix = "Log in as the user account it belongs to"
	case DataDiskFull:
		what = "The disk that holds the folder " + path + " is full or cannot be written to, so NHS login passkeys cannot open its data. Nothing you saved has been lost."
		fix = "Free up some space on the disk"
	case DataStaleWAL:
		db := strings.TrimSuffix(path, "-wal")
		what = "The file " + path + " holds changes that do not fit the database beside it, " + filepath.Base(db) +
			". This happens when the database is put back from a backup after the app stopped suddenly. Nothing has been changed."
		fix = "Move " + filepath.Base(path) + " and " + filepath.Base(db) + "-shm somewhere else"
	case DataFolderNotAFolder:
		what, fix = path+" is a file, not a folder, so NHS login passkeys cannot keep its data there. It has not been changed.", "Move it somewhere else"
	default:
		panic("store: unknown data error code " + code)
	}
	return &DataError{Code: code, Path: path, Msg: what + " " + fix + elsewhere + after,
		Page: what + " " + fix + ", then open the app again." + after, Err: cause}
}

// sqliteMagic is how every SQLite database file begins (https://sqlite.org/fileformat.html
// §1.3, the header string).
var sqliteMagic = []byte("SQLite format 3\x00")

// companions are the other files SQLite and the app keep beside the database. SQLite would
// write through a link or into a read-only file as readily as into the database itself.
var companions = []string{"-wal", "-shm"}

// journal is the rollback journal's suffix. The database is in WAL mode, so SQLite keeps no
// journal, except for a moment while a new file is switched to WAL. It still looks for one
// beside a file not yet in WAL mode (an empty one), takes it as a hot journal to roll back
// and deletes it, and it refuses to open even a WAL database when the name is a link
// (SQLITE_CANTOPEN, "unable to open database file"). So the name gets the companions'
// checks; the read-only check leaves a journal alone (readOnlyDSN), as SQLite's own open
// rolls a real one back.
const journal = "-journal"

// CheckDir checks the data folder dir and the files in it without changing them: it
// returns a *DataError saying what is wrong and what to do, or nil when Open and LockDir
// may use the folder. A folder that does not exist yet is created (mode 0700), since then
// there is nothing to keep as it was.
func CheckDir(ctx context.Context, dir string) error {
	info, err := os.Stat(dir) // the folder itself may be a link: people move their config folder
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return dataError(DataFolderReadOnly, dir, err)
		}
		return nil
	case err != nil:
		return dataError(DataFolderReadOnly, dir, err)
	case !info.IsDir():
		return dataError(DataFolderNotAFolder, dir, nil)
	}
	if err := othersFile(info); err != nil {
		return dataError(DataFolderNotYours, dir, err)
	}
	if err := checkWritable(dir, info); err != nil {
		return dataError(DataFolderReadOnly, dir, err)
	}
	if _, err := checkFile(filepath.Join(dir, LockFileName)); err != nil {
		return err
	}
	return checkDatabase(ctx, filepath.Join(dir, FileName))
}

// checkWritable refuses what we may not change. The owner's write bit is checked as policy,
// not only through the OS: a person who took the write permission away from their data
// (chmod a-w, or the read-only attribute on Windows) meant it, and root, to whom
// permissions do not apply, would otherwise write to it anyway and then chmod it back to
// 0600. canWrite asks the OS too, for a read-only file system, an immutable file and the
// permissions of another user.
func checkWritable(path string, info fs.FileInfo) error {
	if info.Mode().Perm()&0o200 == 0 {
		return fmt.Errorf("mode %v has no write permission for its owner", info.Mode().Perm())
	}
	return canWrite(path)
}

// checkFile refuses a link, a folder, anything but a regular file, another user account's
// file, or a read-only file at path, where the app keeps one of its files. Lstat, not Stat:
// a link is refused, never followed, so its target is never read, opened for writing or
// chmodded. It returns the file's information, or nil when there is no file (which is fine:
// Open creates it).
func checkFile(path string) (fs.FileInfo, error) {
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, dataError(DataNotReadable, path, err)
	case info.Mode()&fs.ModeSymlink != 0:
		return nil, dataError(DataIsALink, path, nil)
	case info.IsDir():
		return nil, dataError(DataIsAFolder, path, nil)
	case !info.Mode().IsRegular():
		return nil, dataError(DataNotADatabase, path, fmt.Errorf("file type %v", info.Mode().Type()))
	}
	if err := othersFile(info); err != nil {
		return nil, dataError(DataNotYours, path, err)
	}
	if err := checkWritable(path, info); err != nil {
		return nil, dataError(DataReadOnly, path, err)
	}
	return info, nil
}

// checkDatabase checks the database file at path without changing it (nor creating its
// -wal or -shm): a file that is not there is fine (Open creates it), if nothing is in the
// way of its -wal, -shm and -journal; otherwise it must be a writable regular file, not a
// link, holding an intact SQLite database that is empty or ours, with no migration this
// build does not know.
func checkDatabase(ctx context.Context, path string) error {
	info, err := checkFile(path)
	if err != nil {
		return err
	}
	for _, suffix := range append(companions, journal) {
		// The WAL, the shared memory and a rollback journal: the same rules, whether or not
		// the database is there (SQLite opens them beside the file it creates, too).
		if _, err := checkFile(path + suffix); err != nil {
			return err
		}
	}
	if info == nil {
		return nil
	}
	if info.Size() == 0 {
		// An empty file is an empty database to SQLite: what Open leaves if the app stopped
		// between creating the file and SQLite writing its first page.
		return nil
	}
	header := make([]byte, len(sqliteMagic))
	if err := readHeader(path, header); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return dataError(DataNotADatabase, path, err)
		}
		return dataError(DataNotReadable, path, err)
	}
	if !bytes.Equal(header, sqliteMagic) {
		return dataError(DataNotADatabase, path, nil)
	}
	err = checkContents(ctx, path)
	// A WAL left by an app that stopped suddenly (kill -9, a power cut) is read with the
	// database. If the database was then put back from a backup, as the DataDamaged message
	// advises, SQLite lays the old WAL's pages over the backup's, and the backup looked
	// damaged too, however often it was put back. When the file alone is intact, the WAL is
	// what does not fit, and the message says so.
	var damaged *DataError
	if errors.As(err, &damaged) && damaged.Code == DataDamaged && exists(path+"-wal") && intactAlone(ctx, path) {
		return dataError(DataStaleWAL, path+"-wal", err)
	}
	return err
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// intactAlone says whether the database file at path passes quick_check read on its own,
// without its WAL.
func intactAlone(ctx context.Context, path string) bool {
	dsn, err := readOnlyDSN(path, true)
	if err != nil {
		return false
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return false
	}
	defer db.Close()
	var first string // quick_check answers one row, "ok", or a row per problem
	return db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&first) == nil && first == "ok"
}

func readHeader(path string, header []byte) error {
	f, err := os.Open(path) //nolint:gosec // G304: the database file in the data folder the program was given
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.ReadFull(f, header)
	return err
}

// checkContents opens the database read-only and checks that it is intact (PRAGMA
// quick_check: every page readable and well formed, in about a tenth of integrity_check's
// time), that it is ours or empty, and that this build knows every migration it records.
func checkContents(ctx context.Context, path string) error {
	dsn, err := readOnlyDSN(path, false)
	if err != nil {
		return dataError(DataNotReadable, path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return dataError(DataNotReadable, path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	var problems []string
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return sqliteRefusal(ctx, path, err)
	}
	defer rows.Close() // on an early return; the Close below reports its error
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return sqliteRefusal(ctx, path, err)
		}
		problems = append(problems, line)
	}
	if err := rows.Close(); err != nil {
		return sqliteRefusal(ctx, path, err)
	}
	if err := rows.Err(); err != nil {
		return sqliteRefusal(ctx, path, err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return dataError(DataDamaged, path, fmt.Errorf("quick_check: %s", strings.Join(problems, "; ")))
	}

	var tables, ours int
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE name = 'schema_migrations') FROM sqlite_schema`).Scan(&tables, &ours); err != nil {
		return sqliteRefusal(ctx, path, err)
	}
	if ours == 0 {
		if tables == 0 {
			return nil // an empty database: Open makes it ours
		}
		// Another program's database: migrating it would add our tables to their file.
		return dataError(DataNotADatabase, path, errors.New("no schema_migrations table"))
	}
	known, err := Migrations()
	if err != nil {
		return err
	}
	// A version this build does not know was applied by a newer build (or a sibling branch):
	// its tables may mean something this build would get wrong, so the file is refused, not
	// opened read-write.
	v, newer, err := unknownMigration(ctx, db, known)
	if err != nil {
		return sqliteRefusal(ctx, path, err)
	}
	if newer {
		return dataError(DataNewerVersion, path, fmt.Errorf("migration %d is not in this build", v))
	}
	return nil
}

// readOnlyDSN opens path read-only without creating anything beside it. A read-only
// connection to a WAL database still creates the -wal and -shm files when they are missing
// (https://sqlite.org/wal.html#readonly), so when neither exists, which is how the app leaves
// the folder when it closes, the file is opened as immutable: no locks, no WAL, nothing
// written. When they exist (the app is running, or stopped without closing), the WAL may
// hold the newest commits, so the file is opened read-only through them, unless alone asks
// for the file without them.
func readOnlyDSN(path string, alone bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(abs, "?#") {
		return "", fmt.Errorf("the path %q must not contain ? or #", abs)
	}
	// A URI filename (https://sqlite.org/uri.html): % is the only character left to escape.
	uri := "file:" + strings.ReplaceAll(filepath.ToSlash(abs), "%", "%25")
	if !strings.HasPrefix(uri, "file:/") {
		uri = "file:///" + strings.TrimPrefix(uri, "file:") // a Windows drive letter
	}
	for _, suffix := range companions {
		if exists(path+suffix) && !alone {
			return uri + "?mode=ro&_busy_timeout=5000", nil
		}
	}
	return uri + "?mode=ro&immutable=1", nil
}

// sqliteRefusal turns an error from the read-only check into a DataError.
func sqliteRefusal(ctx context.Context, path string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
			return dataError(DataNotReadable, path, err)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("check %s: %w", path, err)
		}
	}
	// SQLITE_CORRUPT, SQLITE_NOTADB (a good header on a bad file), SQLITE_IOERR_SHORT_READ
	// (a cut-off file) and the like: the file is not a whole database.
	return dataError(DataDamaged, path, err)
}
