module github.com/goras-ml/goras

go 1.26
