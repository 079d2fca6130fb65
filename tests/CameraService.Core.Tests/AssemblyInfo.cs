// The service targets Linux (file modes, /proc); so do its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
