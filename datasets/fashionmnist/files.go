package fashionmnist

// canonical pins the four files. The hashes of the gzipped files are those
// of the publisher's downloads, as two independent public lists give them
// (one of which also lists MNIST's, equal to those package mnist pins); the
// hashes and sizes of the uncompressed bytes were computed from Debian's
// dataset-fashion-mnist package (0.0~git20200523.55506a9-1), whose .gz
// files are recompressed (24 or 23 bytes shorter: no file name in the gzip
// header) but unpack to the bytes public lists pin for the publisher's
// files. Tests swap in hashes of synthetic files.
var canonical = [4]File{
	{
		Name: "train-images-idx3-ubyte.gz", Size: 26421880,
		SHA256:  "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
		RawSize: 47040016, RawSHA256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
	},
	{
		Name: "train-labels-idx1-ubyte.gz", Size: 29515,
		SHA256:  "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
		RawSize: 60008, RawSHA256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
	},
	{
		Name: "t10k-images-idx3-ubyte.gz", Size: 4422102,
		SHA256:  "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
		RawSize: 7840016, RawSHA256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
	},
	{
		Name: "t10k-labels-idx1-ubyte.gz", Size: 5148,
		SHA256:  "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
		RawSize: 10008, RawSHA256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
	},
}

// Files returns the four files LoadData looks for, in the order train
// images, train labels, test images, test labels.
func Files() []File { return append([]File(nil), canonical[:]...) }
