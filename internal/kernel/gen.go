package kernel

//go:generate sh -c "cd _asm && go run . -out ../gemm_amd64.s -stubs ../gemm_stub_amd64.go -pkg kernel"
