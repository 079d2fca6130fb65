using CameraService.Abstractions;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using NSubstitute;

namespace CameraService.Core.Tests.Fakes;

/// <summary>A substitute stream backend and media store that accept publishing and starting a recording of camera0.</summary>
internal static class SubstituteMedia
{
    /// <param name="frameSource">The backend also implements <see cref="IVideoFrameSource"/> (motion detection).</param>
    public static (IStreamBackend Backend, IMediaStore Store) Create(bool frameSource = false)
    {
        var backend = frameSource ? Substitute.For<IStreamBackend, IVideoFrameSource>() : Substitute.For<IStreamBackend>();
        var store = Substitute.For<IMediaStore>();
        backend.Name.Returns("mediamtx");
        backend.GetHealth().Returns(ComponentStatus.Running);
        backend.GetStreamUrls(Arg.Any<string>()).Returns(new StreamUrls { });
        backend.GetActiveRecordingsAsync(Arg.Any<CancellationToken>()).Returns(Array.Empty<BackendRecording>());
        backend.StartRecordingAsync(Arg.Any<RecordingRequest>(), Arg.Any<CancellationToken>())
            .Returns(ci => new BackendRecording { CameraId = "camera0", SessionId = ci.Arg<RecordingRequest>().SessionId, Format = "fmp4", StartTime = ci.Arg<RecordingRequest>().StartTime, Files = [], BytesWritten = 0 });
        store.Name.Returns("storage");
        store.GetRecordingDirectory(Arg.Any<string>()).Returns(ci => "/media/recordings/" + ci.Arg<string>());
        store.DownloadUrlLifetime.Returns(TimeSpan.FromHours(1));
        return (backend, store);
    }
}
