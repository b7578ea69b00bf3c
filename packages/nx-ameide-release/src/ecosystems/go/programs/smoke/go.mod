module example.com/ameide-go-smoke

go 1.22
