using System.Buffers;
using System.IO.Pipelines;
using Sluice.Messages;
using Sluice.Protocols.Hpack;
using Sluice.Protocols.Http2;

namespace Sluice.Mux.Http2;

/// <summary>The read loop's side of the connection: the server's frames, one handler per type.</summary>
internal sealed partial class Http2BackConnection
{
    private Http2ErrorCode ProcessFrame()
    {
        var frame = _frame;

        // §6.10: a field block is a contiguous sequence of frames: nothing else may come in between.
        if (_blockStreamId != 0 && (frame.Type != Http2FrameType.Continuation || frame.StreamId != _blockStreamId))
        {
            return Http2ErrorCode.ProtocolError;
        }

        // §3.4: the server's preface is a SETTINGS frame.
        if (!_settingsReceived && (frame.Type != Http2FrameType.Settings || frame.IsAck))
        {
            return Http2ErrorCode.ProtocolError;
        }

        return frame.Type switch
        {
            Http2FrameType.Data => OnData(frame),
            Http2FrameType.Headers => OnHeaders(frame),
            Http2FrameType.Continuation => _blockStreamId == 0 ? Http2ErrorCode.ProtocolError : DecodeBlockFragment(frame),
            Http2FrameType.RstStream => OnRstStream(frame),
            Http2FrameType.Settings => OnSettings(frame),
            Http2FrameType.Ping => OnPing(frame),
            Http2FrameType.GoAway => OnGoAway(frame),
            Http2FrameType.WindowUpdate => OnWindowUpdate(frame),

            // §8.4: push was disabled in our SETTINGS.
            Http2FrameType.PushPromise => Http2ErrorCode.ProtocolError,
            _ => Http2ErrorCode.NoError,
        };
    }

    /// <summary>§5.1: a stream we never opened is idle; frames on it (other than PRIORITY) are a connection error.</summary>
    private bool IsIdleStream(int streamId) => (streamId & 1) == 0 || streamId > Volatile.Read(ref _highestStreamId);

    private Http2ErrorCode OnData(Http2Frame frame)
    {
        var length = frame.PayloadLength;
        lock (_sync)
        {
            // §6.9: the whole payload, padding included, counts against both windows.
            if (length > _connectionReceiveWindow)
            {
                return Http2ErrorCode.FlowControlError;
            }

            _connectionReceiveWindow -= length;
            _connectionCredit += length;
            if (_connectionCredit >= ConnectionReceiveWindow / 4)
            {
                Http2FrameWriter.WriteWindowUpdate(_out.Control, 0, _connectionCredit);
                _connectionReceiveWindow += _connectionCredit;
                _connectionCredit = 0;
            }

            if (!_streams.TryGetValue(frame.StreamId, out var stream))
            {
                // On a stream we reset, frames in flight are ignored (§5.4.2).
                return IsIdleStream(frame.StreamId) ? Http2ErrorCode.ProtocolError : Http2ErrorCode.NoError;
            }

            if (stream.IsReset)
            {
                return Http2ErrorCode.NoError;
            }

            if (stream.RemoteEnded || stream.Body is null)
            {
                // §8.1: DATA before the final head, or after the end of the stream.
                ResetLocked(stream, stream.RemoteEnded ? Http2ErrorCode.StreamClosed : Http2ErrorCode.ProtocolError, ResponseHeadError.Invalid, BodyFailure.Invalid);
                return Http2ErrorCode.NoError;
            }

            if (length > stream.ReceiveWindow)
            {
                ResetLocked(stream, Http2ErrorCode.FlowControlError, ResponseHeadError.Invalid, BodyFailure.Invalid);
                return Http2ErrorCode.NoError;
            }

            var content = frame.Content;
            stream.ReceiveWindow -= length;

            // Padding is never consumed by the transaction: give it back at once.
            stream.ConsumedUnacknowledged += length - (int)content.Length;
            stream.BodyBytesReceived += content.Length;
            var declared = stream.DeclaredLength;
            if (declared >= 0 && (stream.BodyBytesReceived > declared || (frame.EndStream && stream.BodyBytesReceived != declared)))
            {
                // §8.1.1: a body that does not match its content-length makes the response malformed.
                ResetLocked(stream, Http2ErrorCode.ProtocolError, ResponseHeadError.Invalid, BodyFailure.Invalid);
                return Http2ErrorCode.NoError;
            }

            var writer = stream.Body.Writer;
            foreach (var segment in content)
            {
                writer.Write(segment.Span);
            }

            if (frame.EndStream)
            {
                stream.RemoteEnded = true;
                writer.Complete();
            }
            else if (!content.IsEmpty)
            {
                // Completes at once: the pipe has no pause threshold, the stream window bounds it.
                var flush = writer.FlushAsync();
                if (!flush.IsCompleted)
                {
                    _ = flush.AsTask();
                }
            }
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnHeaders(Http2Frame frame)
    {
        var id = frame.StreamId;
        _blockEndStream = frame.EndStream;
        _blockStream = null;
        _blockHead = null;
        Http2BackStream? stream;
        lock (_sync)
        {
            _streams.TryGetValue(id, out stream);
        }

        if (stream is null)
        {
            if (IsIdleStream(id))
            {
                return Http2ErrorCode.ProtocolError;
            }

            // A stream we reset and released: decoded for the HPACK state, then dropped.
            _blockKind = BlockKind.Discard;
            _builder.BeginDiscard();
        }
        else if (!stream.FinalHeadSeen)
        {
            _blockKind = BlockKind.Head;
            _blockStream = stream;
            _blockHead = RentHead();
            _builder.BeginResponse(_blockHead);
        }
        else if (!frame.EndStream || stream.RemoteEnded)
        {
            // §8.1: after the final head, only trailers, which end the stream.
            _blockKind = BlockKind.Discard;
            _blockStream = stream;
            _builder.BeginDiscard();
            ResetFromLoop(stream, stream.RemoteEnded ? Http2ErrorCode.StreamClosed : Http2ErrorCode.ProtocolError);
        }
        else
        {
            _blockKind = BlockKind.Trailers;
            _blockStream = stream;
            _builder.BeginTrailers(stream.OpenTrailers());
        }

        _blockStreamId = id;
        return DecodeBlockFragment(frame);
    }

    private Http2ErrorCode DecodeBlockFragment(Http2Frame frame)
    {
        var handler = new Http2ResponseFieldHandler(_builder);
        var status = _decoder.Decode(frame.Content, frame.EndHeaders, ref handler);
        if (status is not HpackDecodeStatus.Ok and not HpackDecodeStatus.HeaderListTooLarge)
        {
            // §4.3: the decoding context is lost.
            return Http2ErrorCode.CompressionError;
        }

        if (!frame.EndHeaders)
        {
            return Http2ErrorCode.NoError;
        }

        _blockStreamId = 0;
        var stream = _blockStream;
        _blockStream = null;
        var valid = status == HpackDecodeStatus.Ok && _builder.Complete(_blockEndStream);
        switch (_blockKind)
        {
            case BlockKind.Head:
                var head = _blockHead!;
                _blockHead = null;
                lock (_sync)
                {
                    if (stream!.IsReset)
                    {
                        ReturnHead(head);
                    }
                    else if (!valid)
                    {
                        ReturnHead(head);
                        ResetLocked(stream, Http2ErrorCode.ProtocolError, ResponseHeadError.Invalid, BodyFailure.Invalid);
                    }
                    else
                    {
                        DeliverHeadLocked(stream, head);
                    }
                }

                break;

            case BlockKind.Trailers:
                lock (_sync)
                {
                    if (!valid)
                    {
                        ResetLocked(stream!, Http2ErrorCode.ProtocolError, ResponseHeadError.Invalid, BodyFailure.Invalid);
                    }
                    else if (!stream!.IsReset)
                    {
                        if (stream.DeclaredLength >= 0 && stream.BodyBytesReceived != stream.DeclaredLength)
                        {
                            // §8.1.1: the body ended short of its content-length.
                            ResetLocked(stream, Http2ErrorCode.ProtocolError, ResponseHeadError.Invalid, BodyFailure.Invalid);
                        }
                        else
                        {
                            stream.RemoteEnded = true;
                            stream.Body?.Writer.Complete();
                        }
                    }
                }

                break;

            default:
                break;
        }

        return Http2ErrorCode.NoError;
    }

    /// <summary>A complete response head for the stream: interim heads queue up, the final one opens the body; under _sync.</summary>
    private void DeliverHeadLocked(Http2BackStream stream, HttpResponseHead head)
    {
        if (!head.IsInterim)
        {
            stream.FinalHeadSeen = true;
            stream.DeclaredLength = head.Has(HttpMessageFlags.ContentLengthKnown) ? head.ContentLength : -1;
            if (head.HasBody)
            {
                stream.Body = _sparePipes.TryPop(out var spare) ? spare : Http2FrameOutput.NewBodyPipe();
            }
            else
            {
                stream.RemoteEnded = true;
            }
        }

        stream.EnqueueHeadLocked(head);
    }

    private Http2ErrorCode OnRstStream(Http2Frame frame)
    {
        lock (_sync)
        {
            if (!_streams.TryGetValue(frame.StreamId, out var stream))
            {
                // §6.4: RST_STREAM on an idle stream is a connection error.
                return IsIdleStream(frame.StreamId) ? Http2ErrorCode.ProtocolError : Http2ErrorCode.NoError;
            }

            if (stream.IsReset)
            {
                return Http2ErrorCode.NoError;
            }

            stream.IsReset = true;
            if (frame.ErrorCode == Http2ErrorCode.NoError && stream.RemoteEnded)
            {
                // §8.1: the response is complete and the server needs no more of the request: stop sending it.
                stream.LocalEnded = true;
                WakeWindowWaiterLocked(stream);
                return Http2ErrorCode.NoError;
            }

            // §8.7: REFUSED_STREAM says the request was not processed, so it may go again elsewhere.
            stream.NotProcessed = frame.ErrorCode == Http2ErrorCode.RefusedStream && !stream.ResponseBytesSeen;
            FailLocked(stream, ResponseHeadError.Closed, BodyFailure.Closed);
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnSettings(Http2Frame frame)
    {
        _settingsReceived = true;
        if (frame.IsAck)
        {
            return Http2ErrorCode.NoError;
        }

        lock (_sync)
        {
            for (var i = 0; i < frame.SettingsCount; i++)
            {
                var (parameter, value) = frame.GetSetting(i);
                switch (parameter)
                {
                    case Http2SettingsParameter.HeaderTableSize:
                        _encoder.SetPeerTableSize((int)Math.Min(value, int.MaxValue));
                        break;

                    case Http2SettingsParameter.MaxConcurrentStreams:
                        _peerMaxConcurrentStreams = (int)Math.Min(value, (uint)_streamCap);
                        Owner?.OnMaxConcurrentStreams(_peerMaxConcurrentStreams);
                        break;

                    case Http2SettingsParameter.InitialWindowSize:
                        // §6.9.2: the change applies to every open stream's window.
                        var delta = (long)value - _peerInitialWindow;
                        _peerInitialWindow = (int)value;
                        foreach (var stream in _streams.Values)
                        {
                            stream.SendWindow += delta;
                            if (stream.SendWindow > Http2Protocol.MaxWindowSize)
                            {
                                return Http2ErrorCode.FlowControlError;
                            }
                        }

                        if (delta > 0)
                        {
                            WakeAllWaitersLocked();
                        }

                        break;

                    case Http2SettingsParameter.MaxFrameSize:
                        Volatile.Write(ref _peerMaxFrameSize, (int)value);
                        break;

                    case Http2SettingsParameter.EnableConnectProtocol:
                        _peerAcceptsExtendedConnect = value == 1;
                        break;

                    default:
                        break;
                }
            }

            // §6.5.3: acknowledged once applied.
            Http2FrameWriter.WriteSettingsAck(_out.Control);
        }

        _peerSettings.TrySetResult();

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnPing(Http2Frame frame)
    {
        if (!frame.IsAck)
        {
            lock (_sync)
            {
                Http2FrameWriter.WritePing(_out.Control, frame.PingData, ack: true);
            }
        }

        return Http2ErrorCode.NoError;
    }

    /// <summary>
    /// §6.8: the server takes no new stream. Streams above its last one were not processed and fail so that their
    /// transactions may send them again on another connection; the others finish, then the connection closes.
    /// </summary>
    private Http2ErrorCode OnGoAway(Http2Frame frame)
    {
        bool close;
        lock (_sync)
        {
            _goAwayReceived = true;
            _goAwayLastStreamId = Math.Min(_goAwayLastStreamId, frame.LastStreamId);
            foreach (var stream in _streams.Values)
            {
                if (stream.Id > _goAwayLastStreamId && !stream.IsReset)
                {
                    stream.IsReset = true;
                    stream.NotProcessed = !stream.ResponseBytesSeen;
                    FailLocked(stream, ResponseHeadError.Closed, BodyFailure.Closed);
                }
            }

            close = _activeStreams == 0;
        }

        if (close)
        {
            _io.Input.CancelPendingRead();
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnWindowUpdate(Http2Frame frame)
    {
        var increment = frame.WindowSizeIncrement;
        lock (_sync)
        {
            if (frame.StreamId == 0)
            {
                // §6.9.1: a window above 2^31-1 is a FLOW_CONTROL_ERROR.
                _connectionSendWindow += increment;
                if (_connectionSendWindow > Http2Protocol.MaxWindowSize)
                {
                    return Http2ErrorCode.FlowControlError;
                }

                WakeAllWaitersLocked();
                return Http2ErrorCode.NoError;
            }

            if (!_streams.TryGetValue(frame.StreamId, out var stream))
            {
                return IsIdleStream(frame.StreamId) ? Http2ErrorCode.ProtocolError : Http2ErrorCode.NoError;
            }

            stream.SendWindow += increment;
            if (stream.SendWindow > Http2Protocol.MaxWindowSize)
            {
                ResetLocked(stream, Http2ErrorCode.FlowControlError, ResponseHeadError.Invalid, BodyFailure.Invalid);
                return Http2ErrorCode.NoError;
            }

            WakeWindowWaiterLocked(stream);
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode ResetFromReadLoop(int streamId, Http2ErrorCode code)
    {
        lock (_sync)
        {
            if (_streams.TryGetValue(streamId, out var stream))
            {
                ResetLocked(stream, code, ResponseHeadError.Invalid, BodyFailure.Invalid);
            }
            else
            {
                Http2FrameWriter.WriteRstStream(_out.Control, streamId, code);
            }
        }

        return Http2ErrorCode.NoError;
    }

    private void ResetFromLoop(Http2BackStream stream, Http2ErrorCode code)
    {
        lock (_sync)
        {
            ResetLocked(stream, code, ResponseHeadError.Invalid, BodyFailure.Invalid);
        }
    }

    /// <summary>A stream error found on the server's side (§5.4.2): RST_STREAM, and the exchange fails as invalid; under _sync.</summary>
    private void ResetLocked(Http2BackStream stream, Http2ErrorCode code, ResponseHeadError headError, BodyFailure bodyFailure)
    {
        if (stream.IsReset)
        {
            return;
        }

        stream.IsReset = true;
        Http2FrameWriter.WriteRstStream(_out.Control, stream.Id, code);
        FailLocked(stream, headError, bodyFailure);
    }

    /// <summary>Pending and later waits of the stream fail: its head, its body, its window; under _sync.</summary>
    private void FailLocked(Http2BackStream stream, ResponseHeadError headError, BodyFailure bodyFailure)
    {
        stream.FailHeadLocked(headError);
        if (!stream.RemoteEnded)
        {
            stream.Body?.Writer.Complete(new HttpBodyException(bodyFailure, clientSide: false));
        }

        WakeWindowWaiterLocked(stream);
    }

    private void WakeWindowWaiterLocked(Http2BackStream stream)
    {
        if (stream.WindowWaiter is { } waiter)
        {
            stream.WindowWaiter = null;
            _windowWaiters.Remove(stream);
            waiter.TrySetResult();
        }
    }

    private void WakeAllWaitersLocked()
    {
        foreach (var stream in _windowWaiters)
        {
            stream.WindowWaiter?.TrySetResult();
            stream.WindowWaiter = null;
        }

        _windowWaiters.Clear();
    }
}
