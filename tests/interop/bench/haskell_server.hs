-- Echo server on Haskell's websockets (Debian's libghc-websockets-dev, 0.12), for the
-- comparison of tests/bench-echo: the library's own echo (its tests/autobahn/server.hs
-- and benchmarks/echo.hs: receiveDataMessage, then sendDataMessage of the same message,
-- so text goes back as text and binary as binary, whole), one green thread per
-- connection, no compression (defaultConnectionOptions), messages and frames up to
-- 64 MiB (as the other bench servers; the library's default is no limit), text checked
-- as UTF-8 (connectionStrictUnicode, as the other servers check it). The accept loop is
-- runServerWith's, written out so that port 0 can be bound and the port printed, and
-- the listening socket is our own: the library's makeListenSocket has a backlog of 5,
-- and 64 connections opened at once then wait seconds for a SYN to be sent again.
-- Built by tests/bench-echo with ghc -O2 -threaded -rtsopts, as the library builds its
-- Autobahn server, but -with-rtsopts=-N1 where that server has -N (a capability per
-- core): one capability, as the other one-thread servers of the table (measured here,
-- 2026-12-06, two runs with the load generator on the same 2 cores: -N2 gave 1.2-2.4x
-- fewer echoes per server-CPU-second in every shape, and 0.7-1.1x the throughput);
-- `+RTS -N2` on the command line overrides it. Prints "listening on PORT" once bound; stops on
-- SIGTERM/SIGINT.
--
--   haskell_server [PORT]
module Main (main) where

import Control.Concurrent (forkFinally, myThreadId, throwTo)
import Control.Exception (catch)
import Control.Monad (forever, void)
import qualified Network.Socket as S
import qualified Network.WebSockets as WS
import System.Environment (getArgs)
import System.Exit (ExitCode (ExitSuccess))
import System.IO (hFlush, stdout)
import System.Posix.Signals (Handler (CatchOnce), installHandler, sigINT, sigTERM)

-- | A socket listening on 127.0.0.1:PORT (0: a port the kernel picks), with the
-- system's largest backlog.
listenOn :: Int -> IO S.Socket
listenOn port = do
  let hints = S.defaultHints {S.addrFlags = [S.AI_NUMERICHOST, S.AI_NUMERICSERV], S.addrSocketType = S.Stream}
  addrs <- S.getAddrInfo (Just hints) (Just "127.0.0.1") (Just (show port))
  let addr = head addrs
  sock <- S.socket (S.addrFamily addr) S.Stream S.defaultProtocol
  S.setSocketOption sock S.ReuseAddr 1
  S.bind sock (S.addrAddress addr)
  S.listen sock S.maxListenQueue
  return sock

maxMessage :: WS.SizeLimit
maxMessage = WS.SizeLimit (64 * 1024 * 1024)

options :: WS.ConnectionOptions
options =
  WS.defaultConnectionOptions
    { WS.connectionStrictUnicode = True,
      WS.connectionFramePayloadSizeLimit = maxMessage,
      WS.connectionMessageDataSizeLimit = maxMessage
    }

-- | Every message back as it came, until the connection closes (the library answers a
-- close itself and then throws; a protocol error throws too: either ends this thread).
echo :: WS.ServerApp
echo pending = do
  conn <- WS.acceptRequest pending
  forever (WS.receiveDataMessage conn >>= WS.sendDataMessage conn)
    `catch` \e -> const (return ()) (e :: WS.ConnectionException)

main :: IO ()
main = do
  args <- getArgs
  let port = case args of
        (p : _) -> read p
        [] -> 0
  sock <- listenOn port
  bound <- S.socketPort sock
  mainThread <- myThreadId
  let stop = CatchOnce (throwTo mainThread ExitSuccess)
  mapM_ (\sig -> installHandler sig stop Nothing) [sigTERM, sigINT]
  putStrLn ("listening on " ++ show bound)
  hFlush stdout
  forever $ do
    (c, _) <- S.accept sock
    S.setSocketOption c S.NoDelay 1
    void (forkFinally (WS.makePendingConnection c options >>= echo) (const (S.close c)))
