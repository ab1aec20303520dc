import Foundation
import TurkTools

exit(await BlockCommand.main())
