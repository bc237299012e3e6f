// Package studio is goras's local web app: watch a network learn, look
// inside it and talk to it, in the browser, on goras's real models. It is
// what `goras studio` serves.
//
// The pages (Train, Draw, Look, Learn, Models) are hand-written JavaScript
// modules and CSS embedded in the binary with go:embed; the plots are drawn
// in the browser, on canvas or SVG, from the JSON of an HTTP API that
// docs/studio.md documents. The server uses net/http only.
//
// # Models of other pictures
//
// A model is read as goras predict reads it (see pictureInputOf): one
// without class names taking 28×28 digits gets pictures made into MNIST
// digits; any other model of pictures (Fashion-MNIST's, a folder's trained
// with goras train --data, of any size, grey or colour) gets them resized to
// its input by datasets/imagefolder. Its class names (goras.Model.ClassNames)
// are shown wherever a class is, and given in the JSON. The canvas is offered
// for 28×28 grey inputs only; the Look and Learn pages judge a model on
// MNIST's test set, or Fashion-MNIST's for a model of its classes, and say so
// when a model has neither.
//
// # The runs folder
//
// Everything the studio keeps lives in one folder (Options.Dir). A run
// trained in the studio is a sub-folder NAME/ holding run.json (its
// settings and state), history.csv (one row per epoch, as `goras train
// --history`) and model.safetensors (rewritten after every epoch, so the
// other pages can use a run's model while it trains). What the CLI writes
// there shows up too: a folder of checkpoints (`goras train
// --checkpoint-dir RUNS/NAME`), and loose files NAME.csv or NAME.json
// (`--history`) and NAME.safetensors (`--output`), paired by name. A model
// uploaded through the page becomes a run folder holding only a model.
// GET /api/export/runs.csv (the Train page's "Download all runs") gives
// every run of the folder in one CSV, one row per run per epoch, with its
// settings and metrics (see Server.exportRuns).
//
// # Safety
//
// The server is meant for one user on one machine: `goras studio` binds to
// loopback unless told otherwise, and requests naming another host are
// refused (DNS rebinding). Requests that change state (POST) from a page of
// another origin are refused (the Origin and Sec-Fetch-Site headers), bodies
// are bounded in size and in the time they take to arrive, uploads are
// validated by loading them before they are kept, and the client names runs
// and models, never file paths. One training job writes a run folder: a
// second start on the same name is refused, within one studio and, through
// a lock file, across studios sharing the folder.
//
// What runs at once is bounded too: Options.MaxTraining runs train at once
// (one by default), and Options.MaxHeavyRequests requests that load or
// compute on models are served at once (eight by default). One more is
// refused at once, not queued: a start of a run with 409, naming the runs
// training; a heavy request with 503 and Retry-After. Files of the runs
// folder are read only when they are regular files: a run.json that is a
// named pipe, a device, a directory or a link, or larger than 1 MB, is
// reported as the run's error.
//
// # Concurrency
//
// A Server's handlers run concurrently. Predictions share one loaded copy of
// each model (goras's Predict is safe from many goroutines); anything that
// changes weights (Learn) works on its own copy, and training works on a
// model no other page sees until it is saved.
package studio
