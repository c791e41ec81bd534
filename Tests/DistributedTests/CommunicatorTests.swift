import Distributed
import XCTest

final class CommunicatorTests: XCTestCase {
    func testCoresAreSplitBetweenTheRanksOfAHost() {
        XCTAssertEqual(ThreadsPerRank.count(ranksOnHost: 2, cores: 2, environment: [:]), 1)
        XCTAssertEqual(ThreadsPerRank.count(ranksOnHost: 4, cores: 2, environment: [:]), 1)
        XCTAssertEqual(ThreadsPerRank.count(ranksOnHost: 2, cores: 16, environment: [:]), 8)
        XCTAssertEqual(ThreadsPerRank.count(ranksOnHost: 2, cores: 16, environment: ["SAPIENS_THREADS_PER_RANK": "3"]), 3)
        XCTAssertEqual(ThreadsPerRank.ranksOnHost(jobSize: 8, environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"]), 2)
    }

    func testWatchdogTimeoutFromTheEnvironment() {
        XCTAssertEqual(Watchdog.timeout(from: [:]), 300)
        XCTAssertEqual(Watchdog.timeout(from: ["SAPIENS_MPI_TIMEOUT": "2.5"]), 2.5)
        XCTAssertEqual(Watchdog.timeout(from: ["SAPIENS_MPI_TIMEOUT": "x"]), 300)
    }

    func testWithoutMPIRunTheWorldIsOneRankAndCollectivesAreNoOps() throws {
        guard !Communicator.launchedByMPI() else { throw XCTSkip("running under mpirun") }
        let w = try Communicator.world
        XCTAssertEqual(w.rank, 0)
        XCTAssertEqual(w.size, 1)
        XCTAssertFalse(w.usesMPI)
        var x: [Float] = [1, 2, 3]
        try x.withUnsafeMutableBufferPointer { try w.allreduceAverage($0.baseAddress!, count: 3, "test") }
        XCTAssertEqual(x, [1, 2, 3])
        try w.barrier("test")
    }
}
