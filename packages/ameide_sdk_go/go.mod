module github.com/ameideio/ameide-sdk-go

go 1.22
